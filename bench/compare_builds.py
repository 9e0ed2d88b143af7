"""Training speed of two fastmlp builds on workloads 1 (MNIST-shaped 784-512-512-10) and 2 (digits
64-50-10), measured in one run: the builds alternate, each timing in a fresh process, so that the
shared machine's load drifts over both alike. Prints each build's median and best seconds per epoch
and the ratios after/before.

    python bench/compare_builds.py --before /path/to/old/python --after python --rounds 5 [--threads 1]

Each path is a directory holding the fastmlp package (a source checkout's python/ with its built
_core linked in, or a site-packages). Workload 1 uses the first --mnist-rows rows of its data.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# One timing in a fresh interpreter: the model of a workload trained for `epochs` epochs after one
# warm-up epoch; prints the seconds per epoch as JSON.
_CHILD = r"""
import json, sys, time
sys.path.insert(0, {bench!r})
import workloads
import fastmlp as fm
key, rows, epochs = {key!r}, {rows}, {epochs}
w = workloads.mnist(rows) if key == "mnist" else workloads.digits()
fm.utils.set_random_seed(0)
layers = [fm.layers.Input((w.sizes[0],))]
layers += [fm.layers.Dense(units, activation=w.hidden) for units in w.sizes[1:-1]]
layers.append(fm.layers.Dense(w.sizes[-1], activation=w.output))
model = fm.Sequential(layers)
model.compile(optimizer=fm.optimizers.Adam(w.x.dtype.type(1e-3)), loss=w.loss)
model.fit(w.x, w.targets, batch_size=w.batch_size, epochs=1, verbose=0)
start = time.perf_counter()
model.fit(w.x, w.targets, batch_size=w.batch_size, epochs=epochs, verbose=0)
print(json.dumps((time.perf_counter() - start) / epochs))
"""


def time_once(package_dir, key, rows, epochs, threads):
    env = dict(os.environ, PYTHONPATH=os.path.abspath(package_dir))
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    code = _CHILD.format(bench=HERE, key=key, rows=rows, epochs=epochs)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="directory holding the older fastmlp package")
    parser.add_argument("--after", required=True, help="directory holding the newer fastmlp package")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--mnist-rows", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=0, help="OMP_NUM_THREADS for both (0: as set)")
    args = parser.parse_args(argv)
    plans = {"mnist": (args.mnist_rows, 2), "digits": (0, 40)}
    results = {key: {"before": [], "after": []} for key in plans}
    for round_index in range(args.rounds):
        for key, (rows, epochs) in plans.items():
            order = ("before", "after") if round_index % 2 == 0 else ("after", "before")
            for which in order:
                seconds = time_once(getattr(args, which), key, rows, epochs, args.threads)
                results[key][which].append(seconds)
                print(f"round {round_index + 1} {key:6s} {which:6s} {seconds * 1e3:9.2f} ms/epoch", flush=True)
    print()
    # The median, and the best run: on a loaded machine the best is the timing least inflated by others' work.
    for key, timings in results.items():
        for label, pick in (("median", statistics.median), ("best", min)):
            before, after = pick(timings["before"]), pick(timings["after"])
            print(f"{key:6s} {label:6s} ms/epoch: before {before * 1e3:.2f}, after {after * 1e3:.2f}, "
                  f"after/before {after / before:.3f}")


if __name__ == "__main__":
    main()
