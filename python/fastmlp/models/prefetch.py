"""Reading and converting the next batches in a background thread while the core's compiled step
(which releases the GIL) trains on the current one."""

import queue
import threading

_BATCH, _END, _ERROR = "batch", "end", "error"


class Prefetcher:
    """Reads up to ``limit`` batches from ``iterator`` and converts them in a background thread,
    ``depth`` ahead of the training step. An exception raised there (by the user's generator, or by
    a batch that cannot be read) is raised again, as itself, by ``next``."""

    def __init__(self, iterator, convert, limit, depth, first=None):
        self.count = 0  # batches handed out
        self.ran_out = False
        self._queue = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(iterator, convert, limit, first),
                                        name="fastmlp-batches", daemon=True)
        self._thread.start()

    def _run(self, iterator, convert, limit, first):
        try:
            read = 0
            while limit is None or read < limit:
                if first is not None:
                    batch, first = first, None
                else:
                    try:
                        raw = next(iterator)
                    except StopIteration:
                        self._put((_END, True))
                        return
                    batch = convert(raw)
                read += 1
                if not self._put((_BATCH, batch)):
                    return
            self._put((_END, False))
        except BaseException as error:  # handed to the training thread, which raises it
            self._put((_ERROR, error))

    def _put(self, item):
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            try:
                kind, value = self._queue.get(timeout=0.05)
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    raise StopIteration from None
                continue
            if kind == _BATCH:
                self.count += 1
                return value
            if kind == _ERROR:
                raise value
            self.ran_out = value
            raise StopIteration

    def close(self):
        """Stops reading ahead; waits for the reader when it is not inside the user's code."""
        self._stop.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._thread.join(timeout=1.0)
