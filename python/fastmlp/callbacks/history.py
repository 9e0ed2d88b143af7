"""History: the logs of every epoch, which fit returns."""

from fastmlp.callbacks.callback import Callback


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
