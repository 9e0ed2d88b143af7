"""Smoke test of bench/: the benchmark runs end to end, compares every framework on the same
computation, and reports numbers that follow from what it measured. Timings are never asserted.

bench/run.py runs in a subprocess, as a user runs it, with --quick sizes. OMP_WAIT_POLICY=passive
there keeps it quick on a busy machine (spinning OpenMP threads of the peers slow everything down when
cores are shared); it does not change what is computed.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
sys.path.insert(0, BENCH)

import equivalence  # noqa: E402  (bench/ is a directory of scripts, not a package)
import memory  # noqa: E402
import workloads  # noqa: E402

HAVE_TORCH = importlib.util.find_spec("torch") is not None
HAVE_SKLEARN = importlib.util.find_spec("sklearn") is not None


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """stdout and the JSON results of one quick run of workloads 1-5 and 7 with every framework."""
    path = tmp_path_factory.mktemp("bench") / "results.json"
    env = dict(os.environ, OMP_WAIT_POLICY="passive")
    done = subprocess.run([sys.executable, os.path.join(BENCH, "run.py"), "--quick", "--workloads", "1,2,3,4,5,7",
                           "--markdown", "--json", str(path)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"bench/run.py exited {done.returncode}:\n{done.stderr[-3000:]}"
    with open(path) as results:
        return done.stdout, json.load(results)


def expected_frameworks():
    return ["fastmlp", "NumPy"] + (["scikit-learn"] if HAVE_SKLEARN else []) + (["PyTorch"] if HAVE_TORCH else [])


def test_every_framework_has_a_row_per_workload_and_ratios_follow_from_the_times(quick_run):
    out, results = quick_run
    for key in ("mnist", "digits", "xor"):
        rows = {r["framework"]: r for r in results["training"] if r["workload"] == key}
        assert set(expected_frameworks()) <= set(rows), (key, sorted(rows))
        base = rows["fastmlp"]["seconds"]
        for row in rows.values():
            assert row["seconds"] > 0 and row["seconds"] == pytest.approx(np.median(row["runs"]))
            assert row["ratio_to_fastmlp"] == pytest.approx(row["seconds"] / base)
            # The printed table shows the same ratio, in the Markdown row of this workload and framework.
            title = re.escape(row["title"])
            assert re.search(rf"^\| {title}\s+\| {re.escape(row['framework'])}\s+\|.*\| +"
                             rf"{row['ratio_to_fastmlp']:.2f}x \|$", out, re.M), (row, out)
    for key in ("mnist", "digits"):
        calls = {(r["framework"], r["call"]) for r in results["inference"] if r["workload"] == key}
        assert {f for f, _ in calls} >= set(expected_frameworks())
        assert any(f == "fastmlp" and "C++" in c for f, c in calls) and any(f == "fastmlp" and "model.predict" in c
                                                                          for f, c in calls)
    gemm = results["gemm"]
    assert gemm["sgemm"]["NumPy matmul"] > 0 and gemm["sgemm"]["fastmlp kernel"] > 0
    assert gemm["best_flops"] == max(gemm["sgemm"].values())
    assert gemm["epoch_flops"] == 256 * (4 * 784 * 512 + 6 * 512 * 512 + 6 * 512 * 10)
    assert [r["batch"] for r in gemm["by_batch"]] == [32, 128, 512]
    for row in gemm["by_batch"]:
        assert row["of_best"] == pytest.approx(row["flops_per_s"] / gemm["best_flops"])
    for key in ("mnist", "digits"):
        rows = [r for r in results["threads"] if r["workload"] == key]
        assert {r["framework"] for r in rows} >= {"fastmlp", "NumPy"}
        assert {r["threads"] for r in rows} == set(range(1, (os.cpu_count() or 1) + 1))
        for row in rows:
            assert row["efficiency"] == pytest.approx(row["speedup"] / row["threads"])
    cases = {(c["framework"], c["policy"], c["busy"]) for c in results["shared_cores"]["cases"]}
    assert {("fastmlp", "default", 0), ("fastmlp", "default", 1), ("fastmlp", "spin:0", 1)} <= cases
    for title in ("Machine", "Training", "GEMM efficiency", "Inference", "Thread scaling", "Shared cores", "Targets",
                  "Notes"):
        assert f"### {title}" in out
    assert re.search(r"^- CPU: .+; \d+ logical cores", out, re.M)


def test_targets_are_judged_from_the_measured_numbers(quick_run):
    _, results = quick_run
    targets = {t["target"]: t for t in results["targets"]}
    fast = {r["workload"]: r for r in results["training"] if r["framework"] == "fastmlp"}
    numpy_row = next(r for r in results["training"] if r["workload"] == "mnist" and r["framework"] == "NumPy")
    vs_numpy = targets["1. fastmlp epoch / NumPy epoch"]
    assert vs_numpy["measured"] == pytest.approx(fast["mnist"]["seconds"] / numpy_row["seconds"])
    assert vs_numpy["met"] == (vs_numpy["measured"] <= 0.35)
    xor = targets["3. fastmlp 1000 XOR epochs, seconds"]
    assert xor["measured"] == pytest.approx(fast["xor"]["seconds"] * 1000 / fast["xor"]["epochs"])


def test_torch_rows_are_present_when_torch_is_installed(quick_run):
    pytest.importorskip("torch")
    _, results = quick_run
    assert any(r["framework"] == "PyTorch" and r["workload"] == "mnist" for r in results["training"])
    assert any(r["framework"] == "PyTorch" for r in results["threads"])


@pytest.mark.parametrize("make", [lambda: workloads.mnist(rows=256), workloads.digits, workloads.xor],
                         ids=["mnist", "digits", "xor"])
def test_numpy_peer_takes_the_same_adam_steps_as_fastmlp(make):
    check = equivalence.compare_one_step(make())
    print(check)
    assert check["gradient_scale"] > 1e-3  # a real gradient, not two zeros agreeing
    assert check["gradient"] <= 1e-6 * max(1.0, check["gradient_scale"])
    assert check["weights"] <= 1e-5


@pytest.mark.skipif(bool(os.environ.get("FASTMLP_UNDER_SANITIZERS")),
                    reason="ASan's shadow memory and quarantine inflate the resident memory this probe reads")
def test_memory_probe_sees_no_copy_of_x_in_fastmlp_fit():
    result = memory.measure("fastmlp", 12_000, workloads.DEFAULT_MNIST_DIR, threads=1)
    print(result)
    assert "error" not in result, result
    assert not result["copies_x"]
    assert 0 < result["peak_increase_bytes"] < 0.5 * result["x_bytes"]


@pytest.mark.skipif(importlib.util.find_spec("h5py") is None, reason="reading the Keras file needs h5py")
def test_imported_model_bench_runs_and_prints_a_row_per_framework():
    env = dict(os.environ, OMP_WAIT_POLICY="passive")
    env.pop("FASTMLP_PREDICT_CSV", None)  # the C++ row is the one that needs a build
    done = subprocess.run([sys.executable, os.path.join(BENCH, "imported_model.py"), "--rows", "300", "--repeats",
                           "5"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = re.findall(r"^(fastmlp \(Python\)|Keras predict_on_batch|ONNX Runtime) +\S+ \S+ +([\d.]+) ", done.stdout,
                      re.M)
    names = [name for name, _ in rows]
    assert names[0] == "fastmlp (Python)" and float(rows[0][1]) == 1.0, done.stdout
    assert ("ONNX Runtime" in names) == (importlib.util.find_spec("onnxruntime") is not None)


@pytest.mark.skipif(importlib.util.find_spec("scipy") is None, reason="sparse inputs come from scipy.sparse")
def test_sparse_bench_runs_every_framework_and_fastmlp_reads_x_sparse():
    env = dict(os.environ, OMP_WAIT_POLICY="passive")
    done = subprocess.run([sys.executable, os.path.join(BENCH, "sparse.py"), "--rows", "300", "--features", "2000",
                           "--epochs", "1", "--threads", "1"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {name.strip(): values.split() for name, values in
            re.findall(r"^(fastmlp sparse|fastmlp dense|fastmlp.sklearn sparse|scikit-learn sparse|torch dense|"
                       r"torch sparse) +(\d.*)$", done.stdout, re.M)}
    expected = {"fastmlp sparse", "fastmlp dense", "fastmlp.sklearn sparse"}
    expected |= {"scikit-learn sparse"} if HAVE_SKLEARN else set()
    expected |= {"torch dense", "torch sparse"} if HAVE_TORCH else set()
    assert expected <= set(rows), done.stdout
    x_mib = {name: float(values[1]) for name, values in rows.items()}
    assert x_mib["fastmlp sparse"] < x_mib["fastmlp dense"] / 10  # the CSR arrays, not a dense X
    assert float(rows["fastmlp sparse"][5]) == 1.0  # peak / ours of the reference row
    # The same network from the same seed on the same rows: the same loss, sparse or dense.
    assert abs(float(rows["fastmlp sparse"][-1]) - float(rows["fastmlp dense"][-1])) <= 1e-4


@pytest.mark.skipif(not HAVE_SKLEARN, reason="the float64 bench compares with scikit-learn's MLPClassifier")
def test_float64_bench_times_both_dtypes_and_scikit_learn_in_float64():
    env = dict(os.environ, OMP_WAIT_POLICY="passive")
    # Each child asserts that its model (or scikit-learn's coefs_) has the dtype its row names.
    done = subprocess.run([sys.executable, os.path.join(BENCH, "float64.py"), "--rounds", "1", "--epochs", "1",
                           "--mnist-rows", "300", "--threads", "1"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = re.findall(r"^\| (fastmlp float32|fastmlp float64|scikit-learn float64) +\| +([\d.]+) \| +([\d.]+)x \|$",
                      done.stdout, re.M)
    assert [name for name, _, _ in rows] == ["fastmlp float32", "fastmlp float64", "scikit-learn float64"] * 2, \
        done.stdout
    for name, ms, ratio in rows:
        assert float(ms) > 0
        if name == "fastmlp float32":
            assert float(ratio) == 1.0


def test_generator_bench_times_the_same_epoch_fed_both_ways():
    env = dict(os.environ, OMP_WAIT_POLICY="passive")
    done = subprocess.run([sys.executable, os.path.join(BENCH, "generator.py"), "--rows", "300", "--threads", "1",
                           "--batch-size", "64"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = dict(re.findall(r"^\| (arrays|generator) +\| +[\d.]+ \| +([\d.]+)x \|$", done.stdout, re.M))
    assert set(rows) == {"arrays", "generator"} and float(rows["arrays"]) == 1.0, done.stdout
    assert "same weights after both: True" in done.stdout  # the same epoch, batch for batch
