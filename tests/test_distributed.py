"""Data-parallel training under ``mpiexec -n 2`` (tests/distributed_worker.py is each rank's script).

Two ranks with the same arrays and global batch 64 end with the weights of one process with batch 64
(the same seed: rank 0's; rank 1 starts from other weights to prove the broadcast), for a Sequential
model and for a functional one of two inputs and two outputs; two unequal
shards give the result of one process on their union; History, EarlyStopping, ModelCheckpoint,
CSVLogger and evaluate agree on every rank and only rank 0 writes files. A rank that raises, stalls,
dies or gets Ctrl-C makes the whole job end, with a clear error on the others, within seconds.
Every launch runs in its own process group under a hard timeout, so a hang fails the test.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import distributed_worker as worker
import fastmlp as fm

pytest.importorskip("mpi4py")  # the test extra installs mpi4py and MPICH
MPIEXEC = shutil.which("mpiexec") or shutil.which("mpiexec", path=os.path.dirname(sys.executable))
if MPIEXEC is None:
    pytest.skip("no mpiexec on PATH (the mpich package provides one)", allow_module_level=True)

WORKER = os.path.join(os.path.dirname(__file__), "distributed_worker.py")
HARD_TIMEOUT = 120  # seconds; every scenario ends well within this or the test fails


class Job:
    """``mpiexec -n 2`` running the worker in its own process group."""

    def __init__(self, scenario, out):
        env = dict(os.environ)
        env.pop("OMP_NUM_THREADS", None)  # DataParallel then divides the cores between the ranks
        self.out = out
        self.start = time.monotonic()
        self.process = subprocess.Popen([MPIEXEC, "-n", "2", sys.executable, WORKER, scenario, str(out)],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                        start_new_session=True)

    def wait(self, timeout=HARD_TIMEOUT):
        try:
            output, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            output, _ = self.process.communicate()
            pytest.fail(f"mpiexec did not finish within {timeout} s:\n{output[-3000:]}")
        self.seconds = time.monotonic() - self.start
        return self.process.returncode, output

    def wait_for_file(self, name, seconds=60):
        deadline = time.monotonic() + seconds
        while not (self.out / name).exists():
            if time.monotonic() > deadline or self.process.poll() is not None:
                os.killpg(self.process.pid, signal.SIGKILL)
                pytest.fail(f"the ranks did not start training: {self.process.communicate()[0][-3000:]}")
            time.sleep(0.05)
        return (self.out / name).read_text()

    def stopped(self, rank):
        """(seconds in fit, exception type, message) that the rank recorded when fit ended, or None."""
        path = self.out / f"stopped{rank}"
        if not path.exists():
            return None
        seconds, kind, message = path.read_text().split("\n", 2)
        return float(seconds), kind, message


def run_job(scenario, out):
    job = Job(scenario, out)
    code, output = job.wait()
    assert code == 0, output[-3000:]
    return [np.load(out / f"rank{rank}.npz") for rank in (0, 1)]


def reference(tmp_path, x, y, x_val, y_val, build=worker.model):
    """One process, no distribution, the same seed, batch, callbacks and data."""
    fm.distribution.set_distribution(None)
    tmp_path.mkdir()
    net = build()
    history = net.fit(x, y, batch_size=worker.BATCH, epochs=worker.EPOCHS, validation_data=(x_val, y_val),
                      verbose=0, callbacks=worker.callbacks(str(tmp_path), 0))
    evaluation = net.evaluate(x_val, y_val, verbose=0, return_dict=True)
    return net.get_weights(), history.history, evaluation


def compare(ranks, weights, history, evaluation, tolerance=2e-5):
    for rank in ranks:
        rank_weights = [rank[f"arr_{i}"] for i in range(len(weights))]
        for mine, theirs in zip(rank_weights, weights):
            assert mine.dtype == theirs.dtype
            np.testing.assert_allclose(mine, theirs, rtol=0, atol=tolerance)
        np.testing.assert_allclose(rank["history"], [history[k] for k in sorted(history)], rtol=tolerance)
        np.testing.assert_allclose(rank["evaluation"], [evaluation[k] for k in sorted(evaluation)], rtol=tolerance)
    gap = max(np.abs(ranks[0][f"arr_{i}"] - w).max() for i, w in enumerate(weights))
    print(f"2 ranks vs 1 process: max weight difference {gap:.2e}")
    # The replicas are bit-identical, and so are their logs.
    for i in range(len(weights)):
        np.testing.assert_array_equal(ranks[0][f"arr_{i}"], ranks[1][f"arr_{i}"])
    np.testing.assert_array_equal(ranks[0]["history"], ranks[1]["history"])
    np.testing.assert_array_equal(ranks[0]["evaluation"], ranks[1]["evaluation"])


@pytest.mark.slow
def test_same_arrays_on_two_ranks_train_as_one_process(tmp_path):
    ranks = run_job("replicated", tmp_path)
    compare(ranks, *reference(tmp_path / "reference", *worker.digits()))
    # Each rank used half of the cores, not all of them.
    assert ranks[0]["threads"] == ranks[1]["threads"] == max(1, len(os.sched_getaffinity(0)) // 2)
    # Only rank 0 wrote checkpoints and the CSV log.
    assert sorted(p.name for p in tmp_path.glob("checkpoint-*")) == [
        f"checkpoint-{e}-from-rank-0.fmlp" for e in range(1, worker.EPOCHS + 1)]
    assert [p.name for p in tmp_path.glob("log-*.csv")] == ["log-from-rank-0.csv"]
    # The checkpoint holds the trained weights.
    saved = fm.models.load_model(tmp_path / f"checkpoint-{worker.EPOCHS}-from-rank-0.fmlp")
    for mine, theirs in zip(saved.get_weights(), [ranks[0][f"arr_{i}"] for i in range(4)]):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.slow
def test_a_float64_model_on_two_ranks_trains_as_one_process_in_double(tmp_path):
    ranks = run_job("float64", tmp_path)
    # The gradients and totals cross ranks in double: the sums differ from one process's only in their
    # order, at double rounding (float32's bound above is 2e-5).
    compare(ranks, *reference(tmp_path / "reference", *worker.digits("float64"),
                              build=lambda: worker.model(dtype="float64")), tolerance=1e-12)


@pytest.mark.slow
def test_a_model_with_a_users_layer_loss_and_metric_trains_on_two_ranks_as_one_process(tmp_path):
    ranks = run_job("custom", tmp_path)
    weights, history, evaluation = reference(tmp_path / "reference", *worker.digits(), build=worker.custom_model)
    assert "smoothed_crossentropy" in history and len(weights) == 5
    compare(ranks, weights, history, evaluation)


@pytest.mark.slow
def test_a_functional_model_on_two_ranks_trains_as_one_process(tmp_path):
    ranks = run_job("functional", tmp_path)
    weights, history, evaluation = reference(tmp_path / "reference", *worker.functional_digits(),
                                             build=worker.functional_model)
    # Both outputs' losses and the digit's accuracy are in the logs that the ranks and the process agree on.
    assert {"loss", "digit_loss", "ink_loss", "digit_accuracy", "val_ink_loss"} <= set(history)
    compare(ranks, weights, history, evaluation)
    assert [p.name for p in tmp_path.glob("log-*.csv")] == ["log-from-rank-0.csv"]
    saved = fm.models.load_model(tmp_path / f"checkpoint-{len(history['loss'])}-from-rank-0.fmlp")
    for mine, theirs in zip(saved.get_weights(), weights):
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=2e-5)


@pytest.mark.slow
def test_shards_train_as_one_process_on_their_union(tmp_path):
    ranks = run_job("sharded", tmp_path)
    compare(ranks, *reference(tmp_path / "reference", *worker.digits()))


def test_a_rank_that_raises_stops_the_other_with_its_error(tmp_path):
    job = Job("raise", tmp_path)
    code, output = job.wait()
    assert code != 0
    seconds0, kind0, message0 = job.stopped(0)
    seconds1, kind1, message1 = job.stopped(1)
    assert kind1 == "ValueError" and "rank 1's callback failed" in message1
    assert kind0 == "DistributedError"
    assert "rank 1 failed: ValueError: rank 1's callback failed" in message0
    assert seconds0 - seconds1 < 5, (seconds0, seconds1)
    assert "rank 1 failed: ValueError" in output  # rank 0's traceback shows the cause


@pytest.mark.slow
def test_a_rank_that_stalls_makes_the_other_time_out_and_end_the_job(tmp_path):
    job = Job("stall", tmp_path)  # rank 1 sleeps 300 s in a callback; the timeout is 4 s
    code, output = job.wait()
    assert code != 0
    seconds0, kind0, message0 = job.stopped(0)
    assert kind0 == "DistributedError" and "did not complete within 4 s" in message0
    assert job.stopped(1) is None  # the stalled rank was ended with the job, not left sleeping
    assert job.seconds < 60, output[-3000:]


def test_a_rank_that_fails_before_data_parallel_exists_ends_the_job(tmp_path):
    # [issue 26] Rank 0 waited forever in DataParallel()'s communicator duplication, deaf to its timeout.
    job = Job("early", tmp_path)
    code, output = job.wait(timeout=60)
    assert code != 0
    seconds0, kind0, message0 = job.stopped(0)
    assert kind0 == "DistributedError" and "did not all create their DataParallel within 3 s" in message0
    assert 3 <= seconds0 < 20, seconds0
    assert "rank 1 failed before DataParallel()" in output


def test_evaluate_refuses_ranks_with_different_rows(tmp_path):
    # [issue 26] 256 rows on rank 0 and 100 on rank 1 gave one wrong number on both; fit refused it already.
    job = Job("uneven_evaluate", tmp_path)
    job.wait()
    for rank in (0, 1):
        _, kind, message = job.stopped(rank)
        assert kind == "ValueError", message
        assert "data-parallel evaluate: rank 1 has 100 samples but rank 0 has 256" in message


def test_a_rank_that_dies_ends_the_job(tmp_path):
    job = Job("kill", tmp_path)
    code, output = job.wait()
    assert code != 0
    assert job.seconds < 60


@pytest.mark.parametrize("target", ["mpiexec", "rank 1"])
def test_ctrl_c_stops_every_rank(tmp_path, target):
    job = Job("interrupt", tmp_path)
    pid = int(job.wait_for_file("pid1"))
    job.wait_for_file("pid0")
    time.sleep(1.0)  # both ranks are in fit by now
    sent = time.monotonic()
    os.kill(job.process.pid if target == "mpiexec" else pid, signal.SIGINT)
    code, output = job.wait()
    assert code != 0
    assert time.monotonic() - sent < 30
    kinds = {rank: job.stopped(rank)[1] for rank in (0, 1)}
    assert kinds[1] == "KeyboardInterrupt"
    if target == "rank 1":
        assert kinds[0] == "DistributedError" and "rank 1 failed: KeyboardInterrupt" in job.stopped(0)[2]
    else:
        assert kinds[0] in ("KeyboardInterrupt", "DistributedError")
