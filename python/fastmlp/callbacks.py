"""Keras 3's callbacks: hooks that fit, evaluate and predict call between epochs and batches.

    model.fit(x, y, validation_split=0.2, epochs=100,
              callbacks=[fastmlp.callbacks.EarlyStopping(patience=5, restore_best_weights=True)])

Names, arguments, defaults and behaviour follow Keras 3. The training loop runs in C++ and calls
back into Python only when something needs it: at every epoch, and at every batch only when a
callback overrides a batch hook (``on_train_batch_begin``/``on_train_batch_end`` or their aliases
``on_batch_begin``/``on_batch_end``). The progress bar alone is updated a few times per second.
"""

import csv
import math
import os
import warnings

import numpy as np

from fastmlp._progbar import Progbar

__all__ = ["Callback", "CallbackList", "CSVLogger", "EarlyStopping", "History", "LambdaCallback",
           "LearningRateScheduler", "ModelCheckpoint", "ProgbarLogger", "ReduceLROnPlateau", "TerminateOnNaN",
           "Progbar"]


class Callback:
    """Base class. Override the hooks you need; ``self.model`` is the model, ``self.params`` holds
    ``verbose``, ``epochs`` and ``steps`` (batches per epoch).

    Hooks (all optional, Keras's names): ``on_train_begin/end(logs)``, ``on_epoch_begin/end(epoch, logs)``,
    ``on_train_batch_begin/end(batch, logs)`` (aliases ``on_batch_begin/end``), ``on_test_begin/end(logs)``
    (around ``evaluate``) and ``on_predict_begin/end(logs)`` (around ``predict``). Batch hooks of
    evaluate and predict exist for compatibility but are not called: those run as one C++ call.
    Setting ``self.model.stop_training = True`` in any hook ends training after the current batch.
    """

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

    def on_batch_begin(self, batch, logs=None):
        """Keras's older name for on_train_batch_begin."""

    def on_batch_end(self, batch, logs=None):
        """Keras's older name for on_train_batch_end."""

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass

    # Whether fit must call back into Python before/after every batch for this callback. The
    # default looks for an override (in the class, or a function set on the instance, as
    # LambdaCallback does); a callback that only sometimes needs batches can say so itself.
    def _wants_batch_begin(self):
        return _overrides(self, "on_train_batch_begin", "on_batch_begin")

    def _wants_batch_end(self):
        return _overrides(self, "on_train_batch_end", "on_batch_end")


def _overrides(callback, *hooks):
    return any(hook in vars(callback) or getattr(type(callback), hook) is not getattr(Callback, hook)
               for hook in hooks)


class History(Callback):
    """Records the logs of every epoch; ``fit`` returns it: ``history.history["val_loss"][-1]``.

    ``history.epoch`` lists the epoch indices; ``history.plot()`` draws the curves.
    """

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

    def plot(self, metrics=None, path=None, figsize=None, dpi=100):
        """Plots each metric per epoch, training and validation on the same axes, one subplot per
        metric (``loss`` first), and returns the matplotlib Figure.

        Args:
            metrics: names to plot, such as ``["loss", "accuracy"]`` (without ``val_``); default all
                recorded, including ``learning_rate`` when a callback logged it.
            path: if given, the figure is saved there (PNG unless the suffix says otherwise) and closed
                in pyplot, so that scripts saving many plots do not keep them all open.
            figsize: (width, height) in inches; default 4.5 x 3.2 per subplot, side by side.
            dpi: resolution of the saved file.
        """
        from fastmlp._plotting import plot_history
        return plot_history(self, metrics=metrics, path=path, figsize=figsize, dpi=dpi)


class ProgbarLogger(Callback):
    """Prints ``Epoch i/n`` (when there is more than one epoch) and a progress bar (verbose=1) or one
    line per epoch (verbose=2). ``fit`` adds one unless ``verbose=0``; its verbosity is fit's."""

    def __init__(self, verbose=None):
        super().__init__()
        self.verbose = 1 if verbose is None else verbose
        self._fixed_verbose = verbose is not None
        self.epochs = 1
        self.target = None
        self._bar = None
        self._in_fit = False

    def set_params(self, params):
        super().set_params(params)
        if not self._fixed_verbose:
            verbose = params.get("verbose", 1)
            self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._bar = Progbar(self.target or 0, verbose=self.verbose)
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is not None and self.verbose == 1:
            self._bar.update(batch + 1, logs, finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.update(self._bar.target, logs, finalize=True)
            self._bar = None

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._bar = Progbar(self.target or 0, verbose=self.verbose)

    def on_test_end(self, logs=None):
        if not self._in_fit and self._bar is not None:
            self._bar.update(self._bar.target, logs, finalize=True)
            self._bar = None

    def on_predict_begin(self, logs=None):
        self._bar = Progbar(self.target or 0, verbose=self.verbose)

    def on_predict_end(self, logs=None):
        if self._bar is not None:
            self._bar.update(self._bar.target, None, finalize=True)
            self._bar = None

    def _wants_batch_end(self):
        return False  # the bar is fed by the throttled progress reports, not every batch


class CallbackList:
    """Fans each hook out to a list of callbacks, as Keras's CallbackList does: a History and (with
    ``add_progbar``) a ProgbarLogger are appended unless the list already holds one."""

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        if callbacks is not None and (isinstance(callbacks, (str, bytes, Callback))
                                      or not hasattr(callbacks, "__iter__")):
            raise TypeError(f"callbacks must be a list of fastmlp.callbacks.Callback, got {callbacks!r}")
        self.callbacks = list(callbacks or [])
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"callbacks must be fastmlp.callbacks.Callback instances, got {callback!r}")
        self.history = next((c for c in self.callbacks if isinstance(c, History)), None)
        if self.history is None and add_history:
            self.history = History()
            self.callbacks.append(self.history)
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        self.params = params
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def set_model(self, model):
        if self.history is not None:
            model.history = self.history
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params):
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    def wants_batch_begin(self):
        """Whether some callback must run before every batch."""
        return any(c._wants_batch_begin() for c in self.callbacks)

    def wants_every_batch(self):
        """Whether some callback must see the end of every batch (the progress bar alone needs only a
        few updates per second)."""
        return any(c._wants_batch_end() for c in self.callbacks)

    def wants_batches(self):
        """Whether some callback looks at batch ends at all, every one or a few per second."""
        return self.wants_every_batch() or any(isinstance(c, ProgbarLogger) and c.verbose == 1
                                               for c in self.callbacks)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args, **kwargs):
            for callback in self.callbacks:
                getattr(callback, hook)(*args, **kwargs)

        return call


# ---- callbacks that watch a metric ------------------------------------------------------------------
def _check_mode(mode, who):
    # Keras warns and falls back to "auto"; a typo silently changing direction is worse than an error.
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{who} mode must be 'auto', 'min' or 'max', got {mode!r}")
    return mode


def _metric_direction(model, monitor):
    """"down" for losses and errors, "up" for accuracies and the like, None if unknown: Keras 3's
    auto mode, which asks the compiled metric for its direction."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss":
        return "down"
    directions = getattr(model, "_metric_directions", None)
    return directions.get(name) if directions else None


class _MonitorCallback(Callback):
    """Shared by EarlyStopping and ModelCheckpoint: which way is better for ``monitor``, and whether
    a value improves on a reference by more than ``min_delta``."""

    def __init__(self, monitor, mode, min_delta=0.0):
        super().__init__()
        self.monitor = monitor
        self.mode = _check_mode(mode, type(self).__name__)
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        direction = {"min": "down", "max": "up"}.get(self.mode) or _metric_direction(self.model, self.monitor)
        if direction is None:
            raise ValueError(
                f"{type(self).__name__} received monitor={self.monitor!r}, whose direction cannot be "
                "inferred: pass mode='max' to keep the highest value or mode='min' to keep the lowest")
        self.monitor_op = np.less if direction == "down" else np.greater
        if self.monitor_op is np.less:
            self.min_delta = -abs(self.min_delta)

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        return bool(self.monitor_op(value - self.min_delta, reference))


class EarlyStopping(_MonitorCallback):
    """Stops training when ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    epochs.

    Args:
        monitor: the log to watch ("val_loss", "accuracy", ...).
        min_delta: smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        verbose: 1 prints when it stops and when it restores weights.
        mode: "min", "max", or "auto" (from the metric: losses and errors go down, accuracies up).
        baseline: training stops if the value does not beat this within ``patience`` epochs.
        restore_best_weights: at the end, set the weights of the best epoch (the best epoch seen,
            even if no epoch beat the baseline).
        start_from_epoch: epochs to wait before watching at all (warm-up).
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()  # the first watched epoch is the best so far
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Patience restarts only when the value beats the baseline as well as the best so far.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                          f"Available metrics are: {','.join(logs)}", stacklevel=2)
        return value


class ModelCheckpoint(_MonitorCallback):
    """Saves the model (or its weights) after every epoch or every ``save_freq`` batches.

    Args:
        filepath: where to save; may hold ``{epoch}`` (1-based), ``{batch}`` and any log, formatted
            with Python's format syntax: ``"ckpt-{epoch:02d}-{val_loss:.2f}.weights.h5"``.
        monitor: the log that decides what is best when ``save_best_only``.
        verbose: 1 prints a line for every save decision.
        save_best_only: save only when ``monitor`` improves on the best so far.
        save_weights_only: ``model.save_weights(path)`` (NumPy .npz content, whatever the suffix)
            instead of ``model.save(path)``.
        mode: "min", "max" or "auto" (from the metric, as EarlyStopping).
        save_freq: "epoch", or an integer: save every that many batches.
        initial_value_threshold: the best value to beat at first (``save_best_only``).

    Unlike Keras, any file suffix is accepted (Keras demands ".weights.h5" or ".keras"), so that a
    Keras script's paths work unchanged.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor, mode)
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1):
            raise ValueError(f"Unrecognized save_freq: {save_freq!r}; expected 'epoch' or a positive integer "
                             "(a number of batches)")
        self.save_freq = save_freq
        self.best = initial_value_threshold
        self._batches_since_save = 0
        self._last_batch = 0
        self._current_epoch = 0

    def set_model(self, model):
        super().set_model(model)
        if not self.save_weights_only and not hasattr(model, "save"):
            raise ValueError("ModelCheckpoint(save_weights_only=False) saves with model.save(), which this "
                             "model does not have; pass save_weights_only=True")

    def _wants_batch_end(self):
        return self.save_freq != "epoch"

    def _set_monitor_op(self):
        super()._set_monitor_op()
        if self.best is None:  # Keras starts from the worst value, so the first save says "from inf"
            self.best = np.inf if self.monitor_op is np.less else -np.inf

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        # Batches are numbered from 0 in each epoch: a number not above the last one starts a new epoch.
        self._batches_since_save += batch + 1 if batch <= self._last_batch else batch - self._last_batch
        self._last_batch = batch
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _file_path(self, epoch, batch, logs):
        fields = dict(logs or {})
        fields["epoch"] = epoch + 1
        if batch is not None and "batch" not in fields:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as error:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {error} '
                           f"(available: epoch, batch and the logs {sorted(logs or {})})") from None

    def _should_save(self, epoch, logs, path):
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {path}")
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, "
                      f"saving model to {path}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save(self, epoch, batch, logs):
        path = self._file_path(epoch, batch, logs)
        if not self._should_save(epoch, logs, path):
            return
        if os.path.isdir(path):
            raise IsADirectoryError(f"ModelCheckpoint's filepath must name a file, {path!r} is a directory")
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path)


class TerminateOnNaN(Callback):
    """Stops training as soon as a batch's loss is NaN or infinite. The epoch in progress ends there,
    and its (NaN) logs are still recorded in the History.

    Args:
        raise_error: raise RuntimeError instead of stopping quietly (on_train_end is then not called).
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            if self.raise_error:
                raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                                   "Terminating training immediately.")
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LearningRateScheduler(Callback):
    """Sets the optimizer's learning rate at the start of every epoch to ``schedule(epoch, lr)``
    (or ``schedule(epoch)``, Keras's older form), and logs it as ``learning_rate``.

    Args:
        schedule: a function of the epoch index (from 0) and the current rate, returning a float.
        verbose: 1 prints the new rate at each epoch.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"schedule must be a function schedule(epoch, lr), got {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        current = float(optimizer.learning_rate)
        try:
            rate = self.schedule(epoch, current)
        except TypeError:  # Keras's older API: schedule(epoch)
            rate = self.schedule(epoch)
        if not isinstance(rate, (float, np.floating)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {rate!r}")
        optimizer.learning_rate = float(rate)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by ``factor`` when ``monitor`` has not improved for ``patience``
    epochs, and logs the rate as ``learning_rate``.

    Args:
        monitor: the log to watch.
        factor: new_lr = lr * factor (must be < 1).
        patience: epochs without improvement before reducing.
        verbose: 1 prints each reduction.
        mode: "min", "max", or "auto": Keras's rule for this callback, "max" when the name contains
            "acc" and "min" otherwise.
        min_delta: an improvement must beat the best by more than this.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the rate never goes below this.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0, **kwargs):
        super().__init__()
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau got unexpected arguments: {', '.join(sorted(kwargs))}")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.mode = _check_mode(mode, "ReduceLROnPlateau")
        self.min_delta = min_delta
        self.cooldown = cooldown
        self.min_lr = min_lr
        self._reset()

    def _reset(self):
        if self.mode == "min" or (self.mode == "auto" and "acc" not in self.monitor):
            self.monitor_op = lambda a, b: np.less(a, b - self.min_delta)
            self.best = np.inf
        else:
            self.monitor_op = lambda a, b: np.greater(a, b + self.min_delta)
            self.best = -np.inf
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs)}.", stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(self.model.optimizer.learning_rate)
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class CSVLogger(Callback):
    """Writes one CSV row per epoch: ``epoch`` then the logs sorted by name.

    Args:
        filename: the CSV file.
        separator: the field separator.
        append: add to an existing file (its header is kept) instead of overwriting it.

    As in Keras, the columns are fixed by the first epoch; without validation data, ``val_`` columns
    are added anyway and hold "NA".
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.keys = None
        self.writer = None
        self.csv_file = None
        self.append_header = True

    def on_train_begin(self, logs=None):
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename, "r", newline="") as existing:
                self.append_header = not existing.readline()
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            self.writer = csv.writer(self.csv_file, delimiter=self.sep)
            if self.append_header:
                self.writer.writerow(["epoch", *self.keys])
        self.writer.writerow([epoch, *(_csv_value(logs.get(key, "NA")) for key in self.keys)])
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


def _csv_value(value):
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) > 0:
        return f"[{', '.join(map(str, value))}]"
    return value


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: print(logs))``.

    Args:
        on_epoch_begin, on_epoch_end: f(epoch, logs).
        on_train_begin, on_train_end: f(logs).
        on_train_batch_begin, on_train_batch_end: f(batch, logs).
        **kwargs: any other hook by name (Keras also accepts e.g. ``on_batch_end``).
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end, on_train_begin=on_train_begin,
                     on_train_end=on_train_end, on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end, **kwargs)
        for name, function in hooks.items():
            if function is None:
                continue
            if name.startswith("on_") and not hasattr(Callback, name):
                raise TypeError(f"LambdaCallback got an unknown hook {name!r}")
            if name.startswith("on_") and not callable(function):
                raise TypeError(f"LambdaCallback {name} must be a function, got {function!r}")
            setattr(self, name, function)
