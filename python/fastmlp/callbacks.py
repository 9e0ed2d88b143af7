"""Keras-style callbacks: hooks the training loop calls between epochs (and batches)."""

import sys
import time


class Callback:
    """Base class. Override the hooks you need; ``self.model`` is the model being trained."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass


class History(Callback):
    """Records the loss and metrics of every epoch: ``history.history["val_loss"][-1]``."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self


def _format_value(value):
    return f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.4e}"


def _format_duration(seconds):
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def _format_per_step(seconds):
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class Progbar:
    """Keras's progress bar: ``12/46 ━━━━━━━━━━━━━━━━━━━━ ETA 1s - accuracy: 0.9120 - loss: 0.3012``.

    In a terminal or notebook it redraws one line; elsewhere (a log file, CI) it prints only the
    final line of each epoch, as Keras does.
    """

    width = 20

    def __init__(self, target, verbose=1, stream=None):
        self.target = target
        self.verbose = verbose
        self.stream = stream if stream is not None else sys.stdout
        isatty = getattr(self.stream, "isatty", lambda: False)
        self.dynamic = bool(isatty()) or "ipykernel" in sys.modules
        self.start = time.perf_counter()
        self._last_length = 0

    def update(self, current, values=None, finalize=False):
        values = values or {}
        if self.verbose == 2 and not finalize:
            return
        if self.verbose == 1 and not finalize and not self.dynamic:
            return
        elapsed = time.perf_counter() - self.start
        per_step = elapsed / max(current, 1)
        metrics = "".join(f" - {k}: {_format_value(v)}" for k, v in sorted(values.items()))
        if self.verbose == 2:
            line = f"{current}/{self.target} - {_format_duration(elapsed)} - {_format_per_step(per_step)}{metrics}"
        else:
            done = int(self.width * current / max(self.target, 1))
            remaining = "━" * (self.width - done)
            if self.dynamic:
                remaining = f"\x1b[2m{remaining}\x1b[0m" if remaining else ""
            else:
                remaining = " " * (self.width - done)
            bar = "━" * done + remaining
            timing = (f"{_format_duration(elapsed)} {_format_per_step(per_step)}" if finalize or current >= self.target
                      else f"ETA {_format_duration(per_step * (self.target - current))}")
            line = f"{current}/{self.target} {bar} {timing}{metrics}"
        if self.dynamic and self.verbose == 1:
            padding = " " * max(0, self._last_length - len(line))
            self.stream.write("\r" + line + padding + ("\n" if finalize else ""))
            self._last_length = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


class ProgbarLogger(Callback):
    """Prints ``Epoch i/n`` and a progress bar (verbose=1) or one line per epoch (verbose=2)."""

    def __init__(self, verbose=1):
        super().__init__()
        self.verbose = verbose
        self._bar = None

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose == 1:
            print(f"Epoch {epoch + 1}/{self.params.get('epochs')}", flush=True)
        self._bar = Progbar(self.params.get("steps") or 0, verbose=self.verbose)

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is not None:
            self._bar.update(batch + 1, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            if self.verbose == 2:
                print(f"Epoch {epoch + 1}/{self.params.get('epochs')}", flush=True)
            self._bar.update(self._bar.target, logs, finalize=True)
            self._bar = None


class CallbackList:
    """Fans each hook out to a list of callbacks (the model uses this; users pass plain lists)."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params(params)

    def wants_every_batch(self):
        """Whether some callback overrides on_train_batch_end and so must see every batch."""
        return any(type(c).on_train_batch_end is not Callback.on_train_batch_end
                   and not isinstance(c, ProgbarLogger) for c in self.callbacks)

    def wants_batches(self):
        return any(type(c).on_train_batch_end is not Callback.on_train_batch_end for c in self.callbacks)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args, **kwargs):
            for callback in self.callbacks:
                getattr(callback, hook)(*args, **kwargs)

        return call
