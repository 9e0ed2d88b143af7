"""CSVLogger: one CSV row per epoch."""

import csv
import os

import numpy as np

from fastmlp import distribution
from fastmlp.callbacks.callback import Callback


class CSVLogger(Callback):
    """Writes one CSV row per epoch: ``epoch`` then the logs sorted by name.

    Args:
        filename: the CSV file.
        separator: the field separator.
        append: add to an existing file (its header is kept) instead of overwriting it.

    As in Keras, the columns are fixed by the first epoch; without validation data, ``val_`` columns
    are added anyway and hold "NA". In data-parallel training only rank 0 writes (the logs are the
    same on every rank).
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
        self._writes = distribution.is_chief()
        if not self._writes:
            return
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
        if not getattr(self, "_writes", True):
            return
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
    # Keras's handle_value: a vector (one value per threshold) becomes the text "[a, b]" wrapped in
    # double quotes, which the csv writer then escapes: the cell reads """[a, b]""" in the file.
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) > 0:
        return f"\"[{', '.join(map(str, value))}]\""
    return value
