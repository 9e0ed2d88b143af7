"""Where data given batch by batch comes from, and how Keras 3 counts its epochs.

A source is a Python generator or iterator (one pass, shared by every epoch), an iterable such as a
torch DataLoader (a new pass each epoch), or a PyDataset (``fastmlp.utils.PyDataset`` or any object
with Keras's ``__len__``/``__getitem__``/``on_epoch_end`` protocol: batch ``i`` is ``dataset[i]``,
read by ``workers`` threads or processes). ``Epochs`` hands out each epoch's batches as Keras's
EpochIterator does: with ``steps_per_epoch`` a pass left unfinished continues in the next epoch, and
a one-pass source that runs out stops training with Keras's warning.
"""

import collections
import concurrent.futures
import itertools
import warnings

import numpy as np

from fastmlp import _random, _sparse
from fastmlp.models import arguments

# Keras's warning when data ends before the epoch's steps do, word for word.
RAN_OUT = ("Your input ran out of data; interrupting training. Make sure that your dataset or generator can "
           "generate at least `steps_per_epoch * epochs` batches. You may need to use the `.repeat()` function "
           "when building your dataset.")
# Batches read ahead of the step that trains (a PyDataset sets its own with max_queue_size).
PREFETCH_DEPTH = 4


# ---- what counts as a stream ------------------------------------------------------------------------
def _is_torch_data_loader(x):
    return any(cls.__name__ == "DataLoader" and cls.__module__.startswith("torch.utils.data")
               for cls in type(x).__mro__)


def is_py_dataset(x):
    """Keras's PyDataset/Sequence protocol: batches by index, a length (or num_batches), on_epoch_end."""
    from fastmlp.py_dataset import PyDataset
    if isinstance(x, PyDataset):
        return True
    return (hasattr(x, "__getitem__") and callable(getattr(x, "on_epoch_end", None))
            and (hasattr(x, "__len__") or hasattr(x, "num_batches")))


def is_stream(x):
    """Whether ``x`` is data given batch by batch rather than arrays (arrays, lists, dicts, DataFrames,
    tensors and sparse matrices are arrays)."""
    if x is None or isinstance(x, (np.ndarray, list, tuple, dict, str, bytes)) or _sparse.is_sparse(x):
        return False
    if hasattr(x, "__array__") or hasattr(x, "__array_interface__"):  # pandas, torch tensors, ...
        return False
    return _is_torch_data_loader(x) or is_py_dataset(x) or hasattr(x, "__next__") or hasattr(x, "__iter__")


# ---- sources: where each epoch's batches come from ----------------------------------------------------
class _IteratorSource:
    """A generator or iterator: one pass, shared by every epoch."""

    restarts = False
    num_batches = None
    depth = PREFETCH_DEPTH

    def __init__(self, iterator):
        self._iterator = iterator

    def iterator(self):
        return self._iterator

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass

    def close(self):
        pass


class _IterableSource(_IteratorSource):
    """An iterable (a torch DataLoader): a new pass every epoch."""

    restarts = True

    def __init__(self, iterable):
        super().__init__(None)
        self._iterable = iterable
        try:
            self.num_batches = len(iterable)
        except TypeError:  # an iterable-style dataset has no length
            self.num_batches = None

    def iterator(self):
        return iter(self._iterable)


def _fetch_in_process(index):
    return _process_dataset[index]


def _set_process_dataset(dataset):
    global _process_dataset
    _process_dataset = dataset


_process_dataset = None


class _PyDatasetSource(_IteratorSource):
    """A PyDataset: batch ``i`` is ``dataset[i]``, read by ``workers`` threads or processes; with
    ``shuffle`` the batch order changes every epoch (Keras's PyDatasetAdapter does the same)."""

    restarts = True

    def __init__(self, dataset, shuffle):
        super().__init__(None)
        self._dataset = dataset
        try:
            count = dataset.num_batches
        except AttributeError:  # Keras 2's Sequence: a length only
            count = len(dataset)
        self.num_batches = None if count is None else arguments.positive_int(count, "the PyDataset's length", minimum=0)
        self._shuffle = bool(shuffle) and self.num_batches is not None
        self._rng = np.random.default_rng(_random.draw_seed()) if self._shuffle else None
        workers = int(getattr(dataset, "workers", 1) or 1)
        processes = bool(getattr(dataset, "use_multiprocessing", False))
        self.depth = max(1, int(getattr(dataset, "max_queue_size", 10) or 10))
        self._pool = None
        if processes:
            self._pool = concurrent.futures.ProcessPoolExecutor(max(1, workers), initializer=_set_process_dataset,
                                                                initargs=(dataset,))
        elif workers > 1:
            self._pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="fastmlp-pydataset")

    def iterator(self):
        if self.num_batches is None:
            indices = itertools.count()
        elif self._shuffle:
            indices = iter(self._rng.permutation(self.num_batches).tolist())
        else:
            indices = iter(range(self.num_batches))
        if self._pool is None:
            return (self._dataset[index] for index in indices)
        fetch = _fetch_in_process if isinstance(self._pool, concurrent.futures.ProcessPoolExecutor) \
            else self._dataset.__getitem__
        return _in_order(self._pool, fetch, indices, self.depth)

    def on_epoch_begin(self):
        hook = getattr(self._dataset, "on_epoch_begin", None)
        if callable(hook):
            hook()

    def on_epoch_end(self):
        self._dataset.on_epoch_end()

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _in_order(pool, fetch, indices, window):
    """``fetch(i)`` for each index, run ``window`` at a time in ``pool``, yielded in order."""
    pending = collections.deque(pool.submit(fetch, index) for index in itertools.islice(indices, window))
    try:
        while pending:
            future = pending.popleft()
            for index in itertools.islice(indices, 1):
                pending.append(pool.submit(fetch, index))
            yield future.result()
    finally:
        for future in pending:
            future.cancel()


def make_source(x, shuffle=False):
    if is_py_dataset(x):
        return _PyDatasetSource(x, shuffle)
    if hasattr(x, "__next__"):
        return _IteratorSource(x)
    return _IterableSource(x)


# ---- epochs over a source, as Keras's EpochIterator counts them --------------------------------------
class Epochs:
    """Each epoch's batches: ``steps`` of them (continuing a pass that an earlier epoch left
    unfinished), or a whole pass when ``steps`` is None."""

    def __init__(self, source, steps):
        self.source = source
        self.steps = steps
        self.exhausted = False  # a one-pass source that has run out
        self.warned = False  # whether Keras's warning was given for the last epoch
        self._iterator = None
        self._seen = 0  # batches taken from the current pass
        self.learned = None  # the length of a pass of unknown length, once one has ended
        self._plan = None  # this epoch's (iterator, limit), from start() until end()

    @property
    def num_batches(self):
        return self.steps or self.source.num_batches or self.learned

    def start(self):
        """(iterator, limit) for this epoch (the same until end() is called); limit None: until the
        data ends."""
        if self._plan is None:
            total = self.source.num_batches
            if self.steps is None and total is None:
                self._plan = self.source.iterator(), None
            else:
                if self._iterator is None or self.steps is None:
                    self._iterator, self._seen = self.source.iterator(), 0
                wanted = self.steps or total
                self._plan = self._iterator, wanted if total is None else min(wanted, total - self._seen)
        return self._plan

    def reset(self):
        """Keras's EpochIterator.reset, which fit and each evaluation run first: a restartable source
        starts a new pass (a generator goes on where it was), and a PyDataset's on_epoch_end runs."""
        self._plan, self._iterator, self._seen = None, None, 0
        self.source.on_epoch_end()

    def end(self, count, ran_out):
        """Records an epoch that took ``count`` batches and whether the data ended first; warns as
        Keras does when ``steps_per_epoch`` asked for more than the data had."""
        total = self.source.num_batches
        self._plan = None
        self._seen += count
        data_ended = ran_out or (total is not None and self._seen >= total)
        if data_ended:
            if ran_out and total is None and self.steps is None:
                self.learned = self.learned or count
            self._iterator = None
        self.exhausted = ran_out and not self.source.restarts
        # (Fewer batches because a callback stopped training is no shortage.)
        self.warned = data_ended and ((self.steps is not None and count < self.steps) or count == 0)
        if self.warned:
            warnings.warn(RAN_OUT, UserWarning, stacklevel=4)

    def stop_if_exhausted(self):
        """Whether a one-pass source has nothing left for another epoch (Keras's warning said once)."""
        if self.exhausted and not self.warned:
            warnings.warn(RAN_OUT, UserWarning, stacklevel=4)
            self.warned = True
        return self.exhausted


def kind_of(x):
    """What a source is called in messages, in Keras's words."""
    if is_py_dataset(x):
        return "PyDataset"
    if _is_torch_data_loader(x):
        return "torch DataLoader"
    return "generator" if hasattr(x, "__next__") else "iterable of batches"
