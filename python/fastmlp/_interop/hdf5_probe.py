"""Reads an untrusted HDF5 file once in a forked child first, so that a file that crashes or hangs the
HDF5 C library costs a ModelFileError instead of the user's process.

HDF5 trusts its metadata: a damaged legacy .h5 file can make the library read out of bounds and die
with a segmentation fault (found by flipping bytes in a Keras .h5 file: h5py 3.16 crashed inside an
attribute read). Legacy Keras files carry no checksum that would catch the damage first (a .keras
archive does: zip's CRC-32 over each member). The child walks every group, attribute and dataset;
only if it survives does the caller parse the file for real. Where fork is missing (Windows) the
file is read directly. The child applies hdf5_checks first (links leaving the file, datasets larger than
the file can hold) and sends back the ModelFileError they raise, so that it never follows such a link or
allocates such a dataset either.
"""

import faulthandler
import io
import os
import signal
import time
import warnings

from fastmlp._interop import hdf5_checks, optional
from fastmlp._interop.errors import ModelFileError

# How long the test read may take: BASE_S, plus SECONDS_PER_MB for each MiB of the file, at most
# TIMEOUT_S: long enough for a real model file on a slow disk, while a small hostile file that stalls
# HDF5 (found by the atheris run in .ci/run: 118 bytes kept it busy for minutes) is refused in seconds.
TIMEOUT_S = 120.0
BASE_S = 10.0
SECONDS_PER_MB = 1.0


def _timeout(source):
    """The seconds the test read of ``source`` may take."""
    try:
        size = source.getbuffer().nbytes if isinstance(source, io.BytesIO) else os.path.getsize(source)
    except OSError:
        return TIMEOUT_S
    return min(TIMEOUT_S, BASE_S + SECONDS_PER_MB * size / 2**20)


def _walk(source, path):
    """Touches every object, attribute and dataset of the file, as a reader would, after the checks the
    readers make (which raise ModelFileError)."""
    h5py = optional.require("h5py", "reading Keras files", "keras")
    with h5py.File(source, "r") as h5:
        hdf5_checks.check_links(h5, path)
        limit = hdf5_checks.RATIO * hdf5_checks.file_size(h5)

        def visit(name, item):
            for key in item.attrs:
                item.attrs[key]
            if isinstance(item, h5py.Dataset):
                try:
                    hdf5_checks.check_dataset(item, path, limit)
                except ModelFileError:
                    return  # the reader refuses it if it is a weight; anything else it never reads
                item[()]

        for key in h5.attrs:
            h5.attrs[key]
        h5.visititems(visit)


def probe(source, path):
    """Raises ModelFileError if reading ``source`` (a file name or an in-memory file object) kills or
    stalls a child process; returns quietly otherwise (Python-level errors are left to the real read).

    Args:
        source: what h5py.File is given.
        path: the file's name, for the message.
    """
    if not hasattr(os, "fork") or not isinstance(source, (str, os.PathLike, io.BytesIO)):
        return  # an open file's descriptor would be shared with the child, moving under the caller
    report_read, report_write = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a threaded process may deadlock the child; the child only
        # reads the file and is killed if it stalls, so that risk is bounded.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: never return into the caller's code
        try:
            os.close(report_read)
            faulthandler.disable()  # a crash here is the finding, not news for the user's terminal
            _walk(source, path)
        except ModelFileError as error:  # a check refused the file: the parent raises the same error
            os.write(report_write, str(error).encode("utf-8", "backslashreplace")[:4000])
        finally:
            os._exit(0)
    os.close(report_write)
    try:
        _wait(pid, path, _timeout(source))
        report = os.read(report_read, 4096)
    finally:
        os.close(report_read)
    if report:
        raise ModelFileError(report.decode("utf-8", "replace"))


def _wait(pid, path, timeout):
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise ModelFileError(f"{path} is damaged: reading it did not finish within {timeout:.0f} s")
        time.sleep(0.002)
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        raise ModelFileError(f"{path} is damaged: the HDF5 library failed reading it ({name} in a test read)")
    # The child exits 0 whenever it survives the walk, so any other status is a crash that something
    # caught and turned into an exit (AddressSanitizer's SEGV handler does: it reports and exits 1).
    if os.WEXITSTATUS(status) != 0:
        raise ModelFileError(f"{path} is damaged: the HDF5 library failed reading it (a test read exited with "
                             f"status {os.WEXITSTATUS(status)})")
