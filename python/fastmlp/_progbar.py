"""Keras 3's progress bar, ``fastmlp.utils.Progbar``: the lines fit, evaluate and predict print.

    Epoch 3/10
    12/46 ━━━━━━━━━━━━━━━━━━━━ 1s 4ms/step - accuracy: 0.9120 - loss: 0.3012     (while training)
    46/46 ━━━━━━━━━━━━━━━━━━━━ 0s 4ms/step - accuracy: 0.9133 - loss: 0.2998     (verbose=1, at the end)
    46/46 - 0s - 4ms/step - accuracy: 0.9133 - loss: 0.2998                      (verbose=2)

The layout, units and number formats are Keras 3's. One deliberate difference: where the output is
not a terminal or a notebook (a log file, CI), Keras prints a new line at every update; fastmlp
prints only the final line of each epoch, so logs stay one line per epoch.
"""

import math
import sys
import time

import numpy as np

_BOLD, _GREEN, _GREY, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"


def format_metric(value, verbose=1):
    """A metric as Keras prints it: 4 decimals, or scientific notation for small values. (Keras's
    verbose=2 line compares the value itself, not its magnitude, with 1e-3; kept for identical logs.)
    A metric with one value per threshold shows their mean, as Keras's bar does."""
    value = float(np.mean(value))
    large = abs(value) > 1e-3 if verbose == 1 else value > 1e-3
    return f"{value:.4f}" if large else f"{value:.4e}"


def format_time_per_step(seconds, unit="step"):
    """" 4ms/step": seconds, milliseconds or microseconds per step, with the leading space Keras uses."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit}"
    return f" {seconds * 1e6:.0f}us/{unit}"


def format_eta(seconds):
    """Remaining time: "h:mm:ss" above an hour, "m:ss" above a minute, else whole seconds ("7s")."""
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


class Progbar:
    """A progress bar over ``target`` steps.

    Args:
        target: the number of steps (batches) in the epoch; None when unknown (data given batch by
            batch without a length), shown as Keras does: "12/Unknown" and the time so far.
        width: characters of the bar itself.
        verbose: 1 for the bar, 2 for one line when the epoch ends, 0 for nothing.
        unit_name: what a step is called in "4ms/step".
        stream: where to write (default: sys.stdout at the time of each write, so pytest's capsys
            and redirect_stdout see it).

    Unlike Keras's, ``update`` takes the running means the C++ loop already computed (a dict or a
    list of pairs), so nothing is averaged again here.
    """

    def __init__(self, target, width=20, verbose=1, unit_name="step", stream=None):
        self.target = None if target is None else int(target)
        self.width = width
        self.verbose = verbose
        self.unit_name = unit_name
        self._stream = stream
        isatty = getattr(self.stream, "isatty", lambda: False)
        self.dynamic = bool(isatty()) or "ipykernel" in sys.modules
        self._start = time.perf_counter()
        self._after_first_step = None
        self._last_width = 0

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stdout

    def _time_per_step(self, current, now):
        # Like Keras, leave out the first step (warm-up: buffers, caches) once there are others.
        if current <= 0:
            return 0.0
        if current == 1 and self._after_first_step is None:
            self._after_first_step = now
        if self._after_first_step is not None and current > 1:
            return (now - self._after_first_step) / (current - 1)
        return (now - self._start) / current

    def update(self, current, values=None, finalize=None):
        """Shows step ``current`` of ``target`` with ``values`` ({name: value}); ``finalize`` (default:
        ``current >= target``) ends the line."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        items = list(values.items()) if isinstance(values, dict) else list(values or [])
        # Keras 3 sorts logs by name before they reach the bar: "accuracy" before "loss".
        items.sort(key=lambda item: item[0])
        now = time.perf_counter()
        per_step = self._time_per_step(current, now)
        if self.verbose == 1:
            if not finalize and not self.dynamic:
                return
            self._write_bar_line(current, items, per_step, now, finalize)
        elif self.verbose == 2 and finalize and self.target is not None:  # Keras prints no unknown count
            digits = int(math.log10(max(self.target, 1))) + 1
            line = f"{current:>{digits}}/{self.target} - {now - self._start:.0f}s -"
            line += format_time_per_step(per_step, self.unit_name)
            line += "".join(f" - {name}: {format_metric(value, 2)}" for name, value in items)
            self.stream.write(line + "\n")
            self.stream.flush()

    def _write_bar_line(self, current, items, per_step, now, finalize):
        rest = f"{format_time_per_step(per_step, self.unit_name)}"
        rest += "".join(f" - {name}: {format_metric(value)}" for name, value in items)
        if self.target is None:  # Keras's form for an unknown number of steps: no bar, the time so far
            count, timing = f"{current:7d}/Unknown", f"{now - self._start:.0f}s"
            plain = line = f"{count} {timing}{rest}"
        else:
            digits = int(math.log10(max(self.target, 1))) + 1
            count = f"{current:>{digits}}/{self.target}"
            timing = f"{now - self._start:.0f}s" if finalize else format_eta(per_step * (self.target - current))
            plain = f"{count} {'━' * self.width} {timing}{rest}"
            done = min(self.width, int(self.width * current / max(self.target, 1)))
            # Colours as Keras draws them: the done part green, the rest grey.
            bar = (f"{_GREEN}{'━' * done}{_RESET}" if done else "") + f"{_GREY}{'━' * (self.width - done)}{_RESET}"
            line = f"{_BOLD}{count}{_RESET} {bar} {_BOLD}{timing}{_RESET}{rest}"
        if self.dynamic:
            padding = " " * max(0, self._last_width - len(plain))
            self.stream.write("\r" + line + padding + ("\n" if finalize else ""))
            self._last_width = len(plain)
        else:
            self.stream.write(plain + "\n")
        self.stream.flush()
