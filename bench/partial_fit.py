"""The cost of one MLPClassifier.partial_fit call on a small block, as dask-ml's Incremental makes it once per
block of a stream: fastmlp.sklearn against scikit-learn's, on the same blocks (100 rows x 20 features, 3
classes, one hidden layer of 16, float64).

    python bench/partial_fit.py [--calls 200] [--rows 100] [--threads 1]

Prints the median milliseconds per call over `calls` calls after a first call (which builds the network),
and how much of fastmlp's goes to checking the input: the same calls on Python lists, which take the full
validation every time (arrays that already passed it take a short path).
"""

import argparse
import statistics
import sys
import time

import numpy as np


def per_call_ms(estimator, x, y, calls):
    times = []
    for _ in range(calls):
        began = time.perf_counter()
        estimator.partial_fit(x, y)
        times.append(time.perf_counter() - began)
    return 1e3 * statistics.median(times)


def main(arguments=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    options = parser.parse_args(arguments)

    from sklearn.neural_network import MLPClassifier as SklearnMLP
    from threadpoolctl import threadpool_limits

    import fastmlp as fm
    from fastmlp.sklearn import MLPClassifier

    fm.set_num_threads(options.threads)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(options.rows, 20))
    y = rng.integers(0, 3, options.rows)
    rows = []
    with threadpool_limits(options.threads):
        for name, cls, data in (("scikit-learn", SklearnMLP, (x, y)), ("fastmlp", MLPClassifier, (x, y)),
                                ("fastmlp, lists", MLPClassifier, (x.tolist(), y.tolist()))):
            estimator = cls(hidden_layer_sizes=(16,), random_state=0).partial_fit(*data, classes=[0, 1, 2])
            rows.append((name, per_call_ms(estimator, *data, options.calls)))
    print(f"partial_fit on {options.rows} x 20, 3 classes, 16 hidden units, float64, {options.threads} thread(s)")
    print("| estimator | ms per call |")
    print("|---|---|")
    for name, ms in rows:
        print(f"| {name} | {ms:.3f} |")
    print(f"fastmlp / scikit-learn: {rows[1][1] / rows[0][1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
