"""History.plot: training curves with matplotlib, an optional dependency imported only here."""

import math
import os


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("History.plot needs matplotlib, which is not installed: pip install matplotlib") from None
    return plt


def metric_names(history):
    """The metrics a History holds, without their ``val_`` twins: ``loss`` first, then in the order
    they were logged."""
    names = []
    for key in history.history:
        name = key[4:] if key.startswith("val_") else key
        if name not in names:
            names.append(name)
    if "loss" in names:
        names.remove("loss")
        names.insert(0, "loss")
    return names


def plot_history(history, metrics=None, path=None, figsize=None, dpi=100):
    available = metric_names(history)
    if not available:
        raise ValueError("the History is empty: train the model with fit() before plotting")
    if metrics is None:
        metrics = available
    elif isinstance(metrics, str):
        metrics = [metrics]
    unknown = [m for m in metrics if m not in available]
    if unknown:
        raise ValueError(f"History.plot: no values recorded for {unknown}; recorded metrics are {available}")

    plt = _pyplot()
    if figsize is None:
        figsize = (4.5 * len(metrics), 3.2)
    figure, axes = plt.subplots(1, len(metrics), figsize=figsize, squeeze=False)
    # Epochs are shown from 1, as the progress bar counts them.
    epochs = [e + 1 for e in history.epoch]
    for ax, name in zip(axes[0], metrics):
        for key, label, style in ((name, "training", "-"), (f"val_{name}", "validation", "--")):
            values = history.history.get(key)
            if values is None:
                continue
            xs = epochs if len(epochs) == len(values) else list(range(1, len(values) + 1))
            ax.plot(xs, values, style, marker="o" if len(values) <= 20 else None, markersize=3, label=label)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
        if name == "loss" and _spans_decades(history.history, name):
            ax.set_yscale("log")  # a loss falling by orders of magnitude is unreadable on a linear axis
        ax.legend()
    figure.tight_layout()
    if path is not None:
        figure.savefig(os.fspath(path), dpi=dpi)
        plt.close(figure)
    return figure


def _spans_decades(values_by_key, name):
    values = [v for key in (name, f"val_{name}") for v in values_by_key.get(key, []) if math.isfinite(v)]
    return bool(values) and min(values) > 0 and max(values) / min(values) > 100
