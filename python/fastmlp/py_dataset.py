"""PyDataset (also ``Sequence``): Keras's base class for data produced batch by batch by Python code.

A subclass defines ``__len__`` (the number of batches) and ``__getitem__(index)`` (one batch: ``x``,
``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``), and may define ``on_epoch_begin``/``on_epoch_end``
(to reshuffle, say). ``fit``, ``evaluate`` and ``predict`` take it, and any object with the same
methods (a real ``keras.utils.PyDataset`` too). ``workers`` > 1 reads batches in that many threads,
``use_multiprocessing=True`` in that many processes; ``max_queue_size`` bounds the batches read ahead.
"""

import warnings


class PyDataset:
    """Keras's ``keras.utils.PyDataset``::

        class Batches(fastmlp.utils.PyDataset):
            def __init__(self, x, y, batch_size, **kwargs):
                super().__init__(**kwargs)  # workers, use_multiprocessing, max_queue_size
                self.x, self.y, self.batch_size = x, y, batch_size

            def __len__(self):
                return math.ceil(len(self.x) / self.batch_size)

            def __getitem__(self, index):
                rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
                return self.x[rows], self.y[rows]

    Args:
        workers: how many threads (or processes) read batches at once; 1 reads them one by one in a
            background thread while the model trains.
        use_multiprocessing: read batches in ``workers`` processes instead of threads (for
            ``__getitem__`` code that holds the GIL). The dataset must then survive being sent to
            another process.
        max_queue_size: how many batches may be read ahead of training.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _defaults_if_super_not_called(self):
        # Keras's warning, word for word: a subclass that forgot super().__init__() still works.
        missing = False
        for attribute, default in (("_workers", 1), ("_use_multiprocessing", False), ("_max_queue_size", 10)):
            if not hasattr(self, attribute):
                setattr(self, attribute, default)
                missing = True
        if missing:
            warnings.warn("Your `PyDataset` class should call `super().__init__(**kwargs)` in its constructor. "
                          "`**kwargs` can include `workers`, `use_multiprocessing`, `max_queue_size`. Do not pass "
                          "these arguments to `fit()`, as they will be ignored.", stacklevel=3)

    @property
    def workers(self):
        self._defaults_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        self._defaults_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        self._defaults_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        """The batch at position ``index``."""
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(self, index)")

    @property
    def num_batches(self):
        """The number of batches (``len(self)``), or None for a dataset without end."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(f"{type(self).__name__} must define __len__ (or a num_batches property)")

    def __iter__(self):
        count = self.num_batches
        index = 0
        while count is None or index < count:
            yield self[index]
            index += 1

    def on_epoch_begin(self):
        """Called at the start of every epoch."""

    def on_epoch_end(self):
        """Called at the end of every epoch (reshuffle here)."""


# Keras 3 keeps Sequence as another name of PyDataset.
Sequence = PyDataset
