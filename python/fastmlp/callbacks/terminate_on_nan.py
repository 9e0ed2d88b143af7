"""TerminateOnNaN: stop at the first non-finite loss."""

import math

from fastmlp.callbacks.callback import Callback


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
