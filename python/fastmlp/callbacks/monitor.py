"""What EarlyStopping and ModelCheckpoint share: which way a monitored log improves."""

import numpy as np

from fastmlp.callbacks.callback import Callback


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
    direction = getattr(model, "_metric_direction", None)
    return direction(name) if direction is not None else None


def _monitored_number(value, monitor, who):
    """The monitored log as a number. A metric given a list of thresholds logs one value per threshold,
    which cannot be compared with a best value (Keras fails there with an unclear error)."""
    if np.ndim(value) > 0:
        raise ValueError(
            f"{who} monitors {monitor!r}, which holds {np.size(value)} values (one per threshold of a metric "
            "given a list of thresholds) rather than one number; monitor a metric with a single threshold")
    return value


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
        value = _monitored_number(value, self.monitor, type(self).__name__)
        if reference is None:
            return True
        return bool(self.monitor_op(value - self.min_delta, reference))
