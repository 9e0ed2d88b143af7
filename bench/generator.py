"""An epoch fed by a Python generator against the same epoch from arrays (workload 1, MNIST-shaped
784-512-512-10, the first --rows rows), one run each.

    python bench/generator.py [--rows 10000] [--threads 2] [--batch-size 128]

Both models start from the same weights and see the same batches in the same order (shuffle=False):
the array epoch is one C++ loop; the generator epoch runs the same compiled step once per batch
while a background thread takes the next batch from the generator and converts it. Each setup first
trains one warm-up epoch. Prints milliseconds per epoch and the ratio generator / arrays.
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import workloads  # noqa: E402
from workloads import BETA_1, BETA_2, EPSILON, LEARNING_RATE  # noqa: E402


def model(fm, w):
    fm.utils.set_random_seed(0)
    layers = [fm.layers.Input((w.sizes[0],))]
    layers += [fm.layers.Dense(units, activation=w.hidden) for units in w.sizes[1:-1]]
    layers.append(fm.layers.Dense(w.sizes[-1], activation=w.output))
    built = fm.Sequential(layers)
    built.compile(optimizer=fm.optimizers.Adam(LEARNING_RATE, BETA_1, BETA_2, EPSILON), loss=w.loss)
    return built


def batches(x, y, size):
    for first in range(0, len(x), size):
        yield x[first:first + size], y[first:first + size]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=None, help="default: the workload's")
    args = parser.parse_args()
    import fastmlp as fm
    fm.set_num_threads(args.threads)
    w = workloads.mnist(args.rows)
    size = args.batch_size or w.batch_size
    x, y = np.ascontiguousarray(w.x, np.float32), np.ascontiguousarray(w.targets, np.float32)

    arrays, streamed = model(fm, w), model(fm, w)
    arrays.fit(x, y, batch_size=size, epochs=1, shuffle=False, verbose=0)  # warm-up
    streamed.fit(batches(x, y, size), epochs=1, verbose=0)
    start = time.perf_counter()
    arrays.fit(x, y, batch_size=size, epochs=1, shuffle=False, verbose=0)
    array_seconds = time.perf_counter() - start
    start = time.perf_counter()
    streamed.fit(batches(x, y, size), epochs=1, verbose=0)
    generator_seconds = time.perf_counter() - start
    same = all(np.array_equal(a, b) for a, b in zip(arrays.get_weights(), streamed.get_weights()))

    print(f"# One epoch of {w.title} ({len(x)} rows, batch {size}, {args.threads} threads), one run each")
    for note in w.notes:
        print(f"# {note}")
    print("| fed by    | ms per epoch | ratio |")
    print("|-----------|-------------:|------:|")
    print(f"| arrays    | {array_seconds * 1e3:12.1f} | 1.00x |")
    print(f"| generator | {generator_seconds * 1e3:12.1f} | {generator_seconds / array_seconds:.2f}x |")
    print(f"# same weights after both: {same}")


if __name__ == "__main__":
    main()
