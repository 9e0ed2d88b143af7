"""A user's layer (fastmlp.Layer with add_weight and ops.matmul) against the same computation built
from fastmlp's Dense: one epoch of training each, rounds alternating in one process, and the ratio.

    python bench/custom_layer.py [--rows 20000] [--rounds 5]
"""

import argparse
import time

import numpy as np

import fastmlp as fm
from fastmlp import ops


class Linear(fm.layers.Layer):
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.activation = units, activation

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, x):
        y = ops.matmul(x, self.w) + self.b
        return ops.relu(y) if self.activation == "relu" else y


def model(custom, features, seed=0):
    fm.utils.set_random_seed(seed)
    make = (lambda units, activation=None: Linear(units, activation)) if custom else \
        (lambda units, activation=None: fm.layers.Dense(units, activation=activation))
    m = fm.Sequential([fm.Input((features,)), make(256, "relu"), make(256, "relu"), make(10)])
    m.compile(optimizer="adam", loss=fm.losses.CategoricalCrossentropy(from_logits=True))
    return m


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.rows, 64)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, args.rows)]
    models = {"built-in Dense": model(False, 64), "fastmlp.Layer subclass": model(True, 64)}
    for m in models.values():
        m.fit(x[:512], y[:512], epochs=1, verbose=0)  # warm up (and trace)
    times = {name: [] for name in models}
    for _ in range(args.rounds):
        for name, m in models.items():
            start = time.perf_counter()
            m.fit(x, y, batch_size=128, epochs=1, verbose=0)
            times[name].append(time.perf_counter() - start)
    print(f"threads: {fm.get_num_threads()}, rows: {args.rows}, 64-256-256-10, batch 128, Adam; best of {args.rounds}")
    best = {name: min(t) for name, t in times.items()}
    for name, seconds in best.items():
        print(f"  {name:24s} {seconds * 1000:8.1f} ms/epoch")
    print(f"  custom / built-in time: {best['fastmlp.Layer subclass'] / best['built-in Dense']:.2f}x")


if __name__ == "__main__":
    main()
