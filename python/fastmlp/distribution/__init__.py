"""Data-parallel training over MPI, with Keras 3's names.

    import fastmlp as fm
    dp = fm.distribution.DataParallel()          # every process started by mpiexec / srun
    fm.distribution.set_distribution(dp)
    model.fit(x, y, batch_size=64, epochs=10)    # 64 is the global batch, split over the ranks

Run the same script on every rank: ``mpiexec -n 4 python train.py``. Each rank holds a replica of
the model; each global batch is split over the ranks, and one allreduce per step sums the
gradients, so every replica takes the same step and stays identical: training on N ranks gives the
weights that one process reaches with the same global batch size (to float rounding). Needs mpi4py:
``pip install "fastmlp[mpi]"``. docs/distributed.md describes the design, the costs and how to
launch on a cluster.
"""

import os
import sys

from fastmlp import _core

DistributedError = _core.DistributedError
DistributedError.__doc__ = ("A collective could not complete: another rank failed (its error is in the "
                            "message), stalled past the timeout, or the distribution failed earlier.")
DistributedError.__module__ = __name__

_current = None


class DataParallel:
    """Data parallelism over the ranks of an MPI communicator, as Keras 3's ``DataParallel``.

    Args:
        auto_shard_dataset: True (Keras's default): every rank passes the same arrays to fit and
            evaluate (or memory maps of one file) and takes its share of each global batch. False:
            each rank passes only its own shard of the data, for data sets larger than one
            machine; the global batches are drawn from the union of the shards in one
            permutation that every rank computes, so training equals one process on the
            concatenated shards.
        comm: an ``mpi4py.MPI.Comm`` whose ranks train together (default ``MPI.COMM_WORLD``).
        timeout: seconds a rank waits in a collective for the others before it raises
            DistributedError (a rank that fails tells the others at once; this bounds a stall),
            and waits here for every rank to create its DataParallel (a rank that ended before
            that cannot tell anyone: the others raise after ``timeout`` and end the job).
        num_threads: fastmlp threads on each rank. Default: the cores this process may use,
            divided by the ranks on its machine, so that ranks sharing a machine do not
            oversubscribe it; ``OMP_NUM_THREADS``, when set, wins.

    Attributes:
        rank: this process's rank, from 0; size: the number of ranks.

    On every rank, fit's History, the callbacks' decisions (EarlyStopping) and evaluate's results
    are the same. Only rank 0 shows progress bars (unless ``verbose`` is given explicitly) and
    writes files from ModelCheckpoint and CSVLogger. predict and train_on_batch run on each rank
    alone.
    """

    def __init__(self, auto_shard_dataset=True, comm=None, timeout=600.0, num_threads=None):
        from fastmlp.distribution._mpi import MPICommunicator

        if not isinstance(auto_shard_dataset, bool):
            raise TypeError(f"auto_shard_dataset must be True or False, got {auto_shard_dataset!r}")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
        self.auto_shard_dataset = auto_shard_dataset
        self._communicator = MPICommunicator(comm, timeout)
        if num_threads is None and "OMP_NUM_THREADS" not in os.environ:
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
            num_threads = max(1, cores // self._communicator.local_size())
        if num_threads is not None:
            from fastmlp import set_num_threads
            set_num_threads(num_threads)

    @property
    def rank(self):
        return self._communicator.rank()

    @property
    def size(self):
        return self._communicator.size()

    @property
    def timeout(self):
        return self._communicator.timeout

    def __repr__(self):
        return (f"<DataParallel rank={self.rank} of {self.size}, auto_shard_dataset={self.auto_shard_dataset}, "
                f"timeout={self.timeout:g}>")


def set_distribution(value):
    """Makes ``value`` (a DataParallel, or None for none) the distribution that fit and evaluate use."""
    global _current
    if value is not None and not isinstance(value, DataParallel):
        raise TypeError(f"set_distribution expects a fastmlp.distribution.DataParallel or None, got {value!r}")
    _current = value
    if value is not None:
        _announce_uncaught_exceptions()


def distribution():
    """The distribution set by set_distribution, or None."""
    return _current


def _core_arguments():
    """(communicator, sharded) for the core's fit and evaluate."""
    if _current is None:
        return None, False
    return _current._communicator, not _current.auto_shard_dataset


def _share_of(rows):
    """How many of ``rows`` this rank evaluates: its part when every rank passes the same arrays (the
    core's share_of), all of them otherwise."""
    if _current is None or not _current.auto_shard_dataset:
        return rows
    rank, size = _current.rank, _current.size
    return rows * (rank + 1) // size - rows * rank // size


def is_chief():
    """Whether this process writes files and shows progress: rank 0, or any process when not distributed."""
    return _current is None or _current.rank == 0


def _announce_uncaught_exceptions():
    """A rank that ends on an uncaught exception outside fit tells the others, which would otherwise
    wait for it in their next collective until the timeout."""
    if getattr(sys.excepthook, "_fastmlp_announces", False):
        return
    previous = sys.excepthook

    def hook(kind, value, traceback):
        if _current is not None:
            _current._communicator.announce_failure(f"uncaught {kind.__name__}: {value}")
        previous(kind, value, traceback)

    hook._fastmlp_announces = True
    sys.excepthook = hook


__all__ = ["DataParallel", "DistributedError", "distribution", "is_chief", "set_distribution"]
