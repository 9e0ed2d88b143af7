"""Regression: a network with a linear output unit and the mean squared error fits a noisy nonlinear
function, y = sin(2x) + 0.3 x + noise, and the fit is plotted against the data and the true curve.

    python examples/regression_curve.py --epochs 300 --out plots
"""

import argparse
import os
import time

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import fastmlp as fm  # noqa: E402


def true_function(x):
    return np.sin(2 * x) + 0.3 * x


def regression_network():
    model = fm.Sequential([fm.layers.Input((1,)),
                           fm.layers.Dense(64, activation="tanh"),
                           fm.layers.Dense(64, activation="tanh"),
                           fm.layers.Dense(1)])  # linear output: any real value
    model.compile(optimizer=fm.optimizers.Adam(0.01), loss="mean_squared_error")
    return model


def r_squared(truth, prediction):
    return 1.0 - np.sum((truth - prediction) ** 2) / np.sum((truth - truth.mean()) ** 2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--noise", type=float, default=0.2, help="standard deviation of the noise")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=".", help="directory for the PNG")
    parser.add_argument("--quick", action="store_true", help="100 epochs (for tests)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    epochs = min(args.epochs, 100) if args.quick else args.epochs

    rng = np.random.default_rng(args.seed)
    x = rng.uniform(-3, 3, (args.samples, 1)).astype(np.float32)
    y = (true_function(x) + rng.normal(0, args.noise, x.shape)).astype(np.float32)
    fm.utils.set_random_seed(args.seed)
    model = regression_network()
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=32, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start

    grid = np.linspace(-3, 3, 301, dtype=np.float32).reshape(-1, 1)
    fit = model.predict(grid, verbose=0)
    r2_truth = r_squared(true_function(grid), fit)
    r2_data = r_squared(y, model.predict(x, verbose=0))
    print(f"final training MSE {history.history['loss'][-1]:.4f} (noise variance {args.noise ** 2:.4f}) "
          f"after {epochs} epochs in {seconds:.2f} s")
    print(f"R^2 against the true curve: {r2_truth:.4f}; against the noisy data: {r2_data:.4f}")

    figure, axis = plt.subplots(figsize=(6.4, 4))
    axis.scatter(x[:, 0], y[:, 0], s=8, alpha=0.4, label="noisy samples")
    axis.plot(grid[:, 0], true_function(grid[:, 0]), "k--", label="sin(2x) + 0.3x")
    axis.plot(grid[:, 0], fit[:, 0], "r-", linewidth=2, label=f"1-64-64-1 network (R^2 {r2_truth:.3f})")
    axis.set_xlabel("x")
    axis.set_ylabel("y")
    axis.legend()
    axis.set_title("Regression with a linear output and mean squared error")
    figure.tight_layout()
    path = os.path.join(args.out, "regression_fit.png")
    figure.savefig(path, dpi=80)
    plt.close(figure)
    print(f"plot written to {path}")
    return {"r2_truth": r2_truth, "r2_data": r2_data, "history": history.history, "png": path}


if __name__ == "__main__":
    main()
