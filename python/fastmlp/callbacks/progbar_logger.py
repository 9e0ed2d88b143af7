"""ProgbarLogger: the progress bar or per-epoch line that fit, evaluate and predict print."""

from fastmlp._progbar import Progbar
from fastmlp.callbacks.callback import Callback


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
        if self._bar is not None and self._bar.target is None:  # the count, learned at the end of a pass
            self._bar.target = self.target

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._bar = Progbar(self.target, verbose=self.verbose)
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
            self._bar = Progbar(self.target, verbose=self.verbose)

    def on_test_end(self, logs=None):
        if not self._in_fit and self._bar is not None:
            self._bar.update(self._bar.target, logs, finalize=True)
            self._bar = None

    def on_predict_begin(self, logs=None):
        self._bar = Progbar(self.target, verbose=self.verbose)

    def on_predict_end(self, logs=None):
        if self._bar is not None:
            self._bar.update(self._bar.target, None, finalize=True)
            self._bar = None

    def _wants_batch_end(self):
        return False  # the bar is fed by the throttled progress reports, not every batch
