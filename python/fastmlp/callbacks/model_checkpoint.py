"""ModelCheckpoint: save the model (or its weights) during training."""

import os
import warnings

import numpy as np

from fastmlp import distribution
from fastmlp.callbacks.monitor import _MonitorCallback


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
    Keras script's paths work unchanged. In data-parallel training every rank follows the monitored
    value (so their decisions agree) and only rank 0 writes and prints.
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
        verbose = self.verbose > 0 and distribution.is_chief()
        if not self.save_best_only:
            if verbose:
                print(f"\nEpoch {epoch + 1}: saving model to {path}")
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        if np.ndim(current) > 0:  # one value per threshold: Keras warns and saves, as without save_best_only
            warnings.warn(f"Can save best model only when `monitor` is a scalar value. Received: {current}. "
                          "Falling back to `save_best_only=False`.", stacklevel=3)
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if verbose:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, "
                      f"saving model to {path}")
            self.best = current
            return True
        if verbose:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save(self, epoch, batch, logs):
        path = self._file_path(epoch, batch, logs)
        if not self._should_save(epoch, logs, path) or not distribution.is_chief():
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
