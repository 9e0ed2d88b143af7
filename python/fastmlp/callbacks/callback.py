"""The base class of every callback: Keras's hooks, each a no-op until overridden."""


class Callback:
    """Base class. Override the hooks you need; ``self.model`` is the model, ``self.params`` holds
    ``verbose``, ``epochs`` and ``steps`` (batches per epoch).

    Hooks (all optional, Keras's names): ``on_train_begin/end(logs)``, ``on_epoch_begin/end(epoch, logs)``,
    ``on_train_batch_begin/end(batch, logs)`` (aliases ``on_batch_begin/end``), ``on_test_begin/end(logs)``
    and ``on_test_batch_begin/end(batch, logs)`` (around ``evaluate`` and fit's validation; the batch
    end gets the running logs), ``on_predict_begin/end(logs)`` and ``on_predict_batch_begin/end(batch,
    logs)`` (around ``predict``; the batch end gets ``{"outputs": the batch's outputs}``). Batch hooks
    of evaluate and predict make those run in batches of ``batch_size`` with a Python call per batch, so
    they are called only when a callback overrides them.
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
