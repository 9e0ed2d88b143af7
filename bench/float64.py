"""Training in float64 against float32: fastmlp's two dtypes, and scikit-learn's MLPClassifier, which trains
in float64 when given float64 (the fair peer of a float64 fastmlp model), on workloads 1 (MNIST-shaped
784-512-512-10, the first --mnist-rows rows) and 2 (digits 64-50-10).

    python bench/float64.py [--rounds 3] [--epochs 3] [--mnist-rows 10000] [--threads 2]

Each timing runs in a fresh process (the setups alternate round by round, so the shared machine's load
drifts over all alike): the data are cast to the dtype, the model is built and trained one warm-up
epoch, then `epochs` epochs are timed one by one. Prints each setup's median ms per epoch over all
rounds and epochs, and the ratios to fastmlp float32 measured in the same run.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import machine  # noqa: E402

SETUPS = [("fastmlp", "float32"), ("fastmlp", "float64"), ("scikit-learn", "float64")]

_CHILD = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, {bench!r})
import workloads
from workloads import BETA_1, BETA_2, EPSILON, LEARNING_RATE
framework, dtype, key, rows, epochs, threads = {framework!r}, {dtype!r}, {key!r}, {rows}, {epochs}, {threads}
w = workloads.mnist(rows) if key == "mnist" else workloads.digits()
x = np.ascontiguousarray(w.x, dtype=dtype)
if framework == "fastmlp":
    import fastmlp as fm
    fm.set_num_threads(threads)
    fm.utils.set_random_seed(0)
    targets = np.ascontiguousarray(w.targets, dtype=dtype)
    layers = [fm.layers.Input((w.sizes[0],), dtype=dtype)]
    layers += [fm.layers.Dense(units, activation=w.hidden, dtype=dtype) for units in w.sizes[1:-1]]
    layers.append(fm.layers.Dense(w.sizes[-1], activation=w.output, dtype=dtype))
    model = fm.Sequential(layers)
    model.compile(optimizer=fm.optimizers.Adam(LEARNING_RATE, BETA_1, BETA_2, EPSILON), loss=w.loss)
    assert model.dtype == dtype, model.dtype
    epoch = lambda: model.fit(x, targets, batch_size=w.batch_size, epochs=1, verbose=0)
else:
    import blas_threads
    blas_threads.limit(threads)
    import sklearn
    from sklearn.neural_network import MLPClassifier
    classes = np.unique(w.labels)
    clf = MLPClassifier(hidden_layer_sizes=w.sizes[1:-1], activation={{"relu": "relu", "sigmoid": "logistic"}}[w.hidden],
                        solver="adam", alpha=0.0, batch_size=w.batch_size, learning_rate_init=LEARNING_RATE,
                        beta_1=BETA_1, beta_2=BETA_2, epsilon=EPSILON, random_state=0, tol=0.0)
    def epoch():
        with sklearn.config_context(assume_finite=True):
            clf.partial_fit(x, w.labels, classes=classes)
epoch()  # warm-up: first calls size buffers and choose thread counts
times = []
for _ in range(epochs):
    start = time.perf_counter()
    epoch()
    times.append(time.perf_counter() - start)
if framework == "scikit-learn":
    assert clf.coefs_[0].dtype == np.dtype(dtype), clf.coefs_[0].dtype
print(json.dumps(times))
"""


def run_child(framework, dtype, key, rows, epochs, threads):
    code = _CHILD.format(bench=HERE, framework=framework, dtype=dtype, key=key, rows=rows, epochs=epochs,
                         threads=threads)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{framework} {dtype} on {key} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--mnist-rows", type=int, default=10000)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()

    for line in machine.describe(args.threads, [f"fastmlp.set_num_threads({args.threads})",
                                                f"scikit-learn: BLAS limited to {args.threads} threads"]):
        print(line)
    for key, rows in (("mnist", args.mnist_rows), ("digits", 0)):
        seconds = {setup: [] for setup in SETUPS}
        for _ in range(args.rounds):
            for framework, dtype in SETUPS:
                seconds[(framework, dtype)] += run_child(framework, dtype, key, rows, args.epochs, args.threads)
        base = statistics.median(seconds[SETUPS[0]])
        title = f"{key} ({rows} rows)" if rows else key
        print(f"\n{title}: median ms per epoch over {args.rounds} rounds x {args.epochs} epochs")
        print(f"| {'setup':<24} | {'ms/epoch':>8} | {'vs fastmlp float32':>18} |")
        print(f"|{'-' * 26}|{'-' * 10}|{'-' * 20}|")
        for framework, dtype in SETUPS:
            median = statistics.median(seconds[(framework, dtype)])
            print(f"| {framework + ' ' + dtype:<24} | {median * 1e3:8.2f} | {median / base:17.2f}x |")


if __name__ == "__main__":
    main()
