"""CallbackList: one hook call fanned out to every callback, as Keras's CallbackList."""

from fastmlp.callbacks.callback import Callback, _overrides
from fastmlp.callbacks.history import History
from fastmlp.callbacks.progbar_logger import ProgbarLogger


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

    def wants(self, hook):
        """Whether some callback overrides ``hook`` (evaluate's and predict's batch hooks are called
        only then, so that a run without them stays one C++ call)."""
        return any(_overrides(c, hook) for c in self.callbacks)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args, **kwargs):
            for callback in self.callbacks:
                getattr(callback, hook)(*args, **kwargs)

        return call
