"""The core's Communicator over mpi4py: the wheel links no MPI, and any MPI that mpi4py loads works.

Why through Python rather than calling MPI_Allreduce from C++ on mpi4py's library: MPICH and Open MPI
differ in their ABI (handle types, MPI_IN_PLACE, status layout), so C++ code built once for the
wheel could not call both; mpi4py already bridges them. The cost is one Python call per step with
the GIL taken (bench/data_parallel.py measures it against the allreduce itself).

MPI collectives block forever when a rank never joins them. So every collective here is
non-blocking and waited for with a deadline, while listening on a second communicator for a failure
notice: a rank whose fit raises (an error, a callback's exception, Ctrl-C) tells the others, which
then raise DistributedError at once instead of hanging; a rank that stalls makes them raise after
``timeout`` seconds. A rank that dies outright is ended by mpiexec, which then stops the job.
"""

import atexit
import sys
import threading
import time

from fastmlp import _core

_NOTICE_TAG = 7219  # failure notices, on a communicator of their own
_SPIN_SECONDS = 0.01  # wait by polling this long (MPI itself busy-waits), then sleep between polls
_LONGEST_SLEEP = 0.001
_EXIT_WAIT_SECONDS = 10.0  # the longest interpreter exit waits for an MPI call in progress to return


# [issue 13] mpi4py finalizes MPI at the very end of interpreter exit (Py_AtExit), after CPython has
# stopped waiting for threads but while daemon threads still run: one inside a data-parallel fit
# could be inside an MPI call (they release the GIL) when MPI_Finalize freed what that call used
# (SIGSEGV). So every MPI call the training makes holds this lock, and at exit, in an atexit handler
# (Python's run before Py_AtExit's), the exiting thread takes it for good once the call in progress
# has returned: another thread that needs MPI after that waits for it, without the GIL, until the
# process ends, as gil.hpp parks threads that the exiting interpreter ends. Reentrant, so that the
# exiting thread itself still passes (a later atexit handler may use the distribution); a C lock,
# so that `with` never leaves it held when KeyboardInterrupt arrives (a Python __enter__ could).
_mpi_calls = threading.RLock()
_exit_gate_registered = False


def _close_mpi_calls_at_exit():
    # Every call under the lock is non-blocking and returns within microseconds; the bound is for
    # an MPI that misbehaves, which then finalizes under it as it did before.
    _mpi_calls.acquire(timeout=_EXIT_WAIT_SECONDS)


def _register_exit_gate():
    global _exit_gate_registered
    if not _exit_gate_registered:
        atexit.register(_close_mpi_calls_at_exit)
        _exit_gate_registered = True


def _import_mpi():
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError('fastmlp.distribution.DataParallel needs mpi4py: pip install "fastmlp[mpi]" '
                          "(it brings mpi4py and an MPI library; on a cluster, mpi4py built for the "
                          "cluster's own MPI works too)") from error
    return MPI


class MPICommunicator(_core.Communicator):
    """The ranks of an mpi4py communicator (``MPI.COMM_WORLD`` unless given)."""

    def __init__(self, comm=None, timeout=600.0):
        _core.Communicator.__init__(self)
        MPI = _import_mpi()
        self._MPI = MPI
        comm = MPI.COMM_WORLD if comm is None else comm
        self._rank = comm.Get_rank()
        self._size = comm.Get_size()
        self.timeout = float(timeout)
        self._failure = None  # why this communicator can no longer be used
        self._aborts_at_exit = False
        self._collectives = comm  # until its copy exists: what _abort_at_exit ends the job through
        _register_exit_gate()
        # Copies of the user's communicator, so that training's collectives and notices never
        # match the user's own messages.
        self._collectives = self._duplicate(comm)
        self._notices = self._duplicate(comm)

    def _duplicate(self, comm):
        """``comm.Dup()``, waited for within the timeout. Duplicating is collective: a rank that ended
        before making its DataParallel (an exception in its script, a missing file) never joins, and
        rank 0 waited in Dup forever, deaf to the timeout ([issue 26]). Here it raises DistributedError
        after ``timeout`` seconds and, the duplication being left pending, ends the job at exit."""
        with _mpi_calls:
            copy, request = comm.Idup()
        start = time.monotonic()
        pause = 0.0
        while True:
            with _mpi_calls:
                if request.Test():
                    return copy
            waited = time.monotonic() - start
            if waited > self.timeout:
                self._failure = (f"rank {self._rank}: the other ranks did not all create their DataParallel within "
                                 f"{self.timeout:g} s (a rank ended or failed before it, or stalled); "
                                 "DataParallel(timeout=...) sets how long to wait")
                self._abort_at_exit()
                raise _core.DistributedError(self._failure)
            if waited > _SPIN_SECONDS:
                pause = min(_LONGEST_SLEEP * 10, max(2 * pause, 1e-4))
                time.sleep(pause)

    def rank(self):
        return self._rank

    def local_size(self):
        """The ranks on this rank's machine (sharing its memory), this one included."""
        node = self._collectives.Split_type(self._MPI.COMM_TYPE_SHARED)
        try:
            return node.Get_size()
        finally:
            node.Free()

    def size(self):
        return self._size

    def allreduce_sum(self, values):
        self._check_usable()
        with _mpi_calls:
            request = self._collectives.Iallreduce(self._MPI.IN_PLACE, values, op=self._MPI.SUM)
        self._wait(request, "allreduce")

    def broadcast(self, data, root):
        self._check_usable()
        with _mpi_calls:
            request = self._collectives.Ibcast(data, root=root)
        self._wait(request, "broadcast")

    def announce_failure(self, reason):
        if self._failure is not None:
            return
        self._failure = f"rank {self._rank} failed: {reason}"
        with _mpi_calls:
            requests = [self._notices.isend(self._failure, dest=rank, tag=_NOTICE_TAG)
                        for rank in range(self._size) if rank != self._rank]
        # Small messages leave at once; give them a moment to go out, but never wait on a dead peer.
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            with _mpi_calls:
                if self._MPI.Request.Testall(requests):
                    break
            time.sleep(0.001)

    @property
    def failure(self):
        """Why this communicator failed (its rank's own error, a notice from another, a timeout), or None."""
        return self._failure

    def _abort_at_exit(self):
        # A rank that stopped answering (stuck in a callback, a deadlock) never reads a notice, and
        # mpiexec would wait for it forever: when this process exits, end the whole job. Also the way
        # out once a collective was abandoned (below): MPI_Finalize must not run with it pending.
        if self._aborts_at_exit:
            return
        self._aborts_at_exit = True

        def abort():
            sys.stdout.flush()
            sys.stderr.flush()
            self._collectives.Abort(1)

        atexit.register(abort)

    def _check_usable(self):
        if self._failure is not None:
            raise _core.DistributedError(f"the distribution failed earlier and cannot be used again: {self._failure}")

    def _wait(self, request, what):
        try:
            self._wait_for(request, what)
        except BaseException:
            # The request is left pending on memory its caller is about to free (the C++ gradient
            # buffer). MPI_Finalize would progress it and read that memory (AddressSanitizer showed
            # it on a rank that received another's failure notice), and finalizing with a collective
            # pending is erroneous in MPI anyway: this process ends the job with MPI_Abort instead.
            self._abort_at_exit()
            raise

    def _wait_for(self, request, what):
        start = time.monotonic()
        pause = 0.0
        while True:
            with _mpi_calls:
                if request.Test():
                    return
                notice = None
                if self._notices.iprobe(source=self._MPI.ANY_SOURCE, tag=_NOTICE_TAG):
                    notice = self._notices.recv(source=self._MPI.ANY_SOURCE, tag=_NOTICE_TAG)
            if notice is not None:
                self._failure = notice
                raise _core.DistributedError(self._failure)
            waited = time.monotonic() - start
            if waited > self.timeout:
                reason = (f"a {what} did not complete within {self.timeout:g} s: another rank stopped, stalled "
                          f"or never called fit (DataParallel(timeout=...) sets how long to wait)")
                self.announce_failure(reason)
                raise _core.DistributedError(self._failure)
            if waited > _SPIN_SECONDS:
                pause = min(_LONGEST_SLEEP, max(2 * pause, 1e-4))
                time.sleep(pause)
