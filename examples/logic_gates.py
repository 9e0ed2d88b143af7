"""Logic gates: what one perceptron can learn, and what needs a hidden layer.

AND and OR are linearly separable, so Rosenblatt's perceptron rule (w <- w + a (y - h(x)) x with a step
unit) learns them exactly; XOR is not, and no single perceptron gets more than 3 of its 4 rows right.
A hidden layer solves XOR. The last part trains the same small network on XOR with sigmoid and with relu
hidden units, in scikit-learn's MLPClassifier and in fastmlp's, side by side, and draws their decision
regions.

    python examples/logic_gates.py --out plots
"""

import argparse
import os
import time
import warnings

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier  # noqa: E402

from fastmlp.sklearn import MLPClassifier, Perceptron  # noqa: E402

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
GATES = {"AND": np.array([0, 0, 0, 1]), "OR": np.array([0, 1, 1, 1]), "XOR": np.array([0, 1, 1, 0])}


def perceptron_gates(epochs):
    """Trains one perceptron per gate; returns {gate: accuracy}."""
    results = {}
    for gate, targets in GATES.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # expected for XOR: it never converges
            perceptron = Perceptron(eta0=1.0, max_iter=epochs, tol=None, random_state=0).fit(INPUTS, targets)
        accuracy = perceptron.score(INPUTS, targets)
        results[gate] = accuracy
        weights = ", ".join(f"{w:+.0f}" for w in perceptron.coef_[0])
        print(f"perceptron {gate:>3}: accuracy {accuracy:.2f} after {perceptron.n_iter_:>3} epochs "
              f"(w = [{weights}], b = {perceptron.intercept_[0]:+.0f}); predictions {perceptron.predict(INPUTS)}")
    return results


def hidden_layer_xor(epochs):
    """XOR with 8 hidden units, sigmoid or relu, in scikit-learn and fastmlp; returns the fitted models."""
    models = {}
    for activation in ("logistic", "relu"):
        for library, estimator in (("scikit-learn", SklearnMLPClassifier), ("fastmlp", MLPClassifier)):
            model = estimator(hidden_layer_sizes=(8,), activation=activation, learning_rate_init=0.05,
                              max_iter=epochs, tol=1e-6, random_state=1)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(INPUTS, GATES["XOR"])
            seconds = time.perf_counter() - start
            accuracy = model.score(INPUTS, GATES["XOR"])
            print(f"XOR, 2-8-1 {activation:>8} hidden units, {library:>12}: accuracy {accuracy:.2f}, "
                  f"loss {model.loss_:.4f} after {model.n_iter_} epochs ({seconds:.2f} s)")
            models[(activation, library)] = model
    return models


def plot_decision_regions(models, path):
    grid = np.linspace(-0.5, 1.5, 101)
    xx, yy = np.meshgrid(grid, grid)
    points = np.column_stack([xx.ravel(), yy.ravel()])
    figure, axes = plt.subplots(2, 2, figsize=(7, 6.4), sharex=True, sharey=True)
    for row, library in enumerate(("scikit-learn", "fastmlp")):
        for column, activation in enumerate(("logistic", "relu")):
            axis = axes[row, column]
            probability = models[(activation, library)].predict_proba(points)[:, 1].reshape(xx.shape)
            axis.contourf(xx, yy, probability, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.8)
            axis.scatter(INPUTS[:, 0], INPUTS[:, 1], c=GATES["XOR"], cmap="RdBu_r", edgecolors="k", s=80)
            axis.set_title(f"{library}, {'sigmoid' if activation == 'logistic' else 'relu'} hidden units",
                           fontsize=10)
    figure.suptitle("XOR learned by a 2-8-1 network: P(y = 1)")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=1000, help="most epochs for the XOR networks")
    parser.add_argument("--out", default=".", help="directory for the PNG")
    parser.add_argument("--quick", action="store_true", help="fewer epochs (for tests)")
    args = parser.parse_args(argv)
    epochs = min(args.epochs, 500) if args.quick else args.epochs
    os.makedirs(args.out, exist_ok=True)

    gates = perceptron_gates(epochs=50)
    models = hidden_layer_xor(epochs)
    path = os.path.join(args.out, "logic_gates_xor.png")
    plot_decision_regions(models, path)
    print(f"decision regions written to {path}")
    return {"perceptron": gates, "xor": {key: model.score(INPUTS, GATES["XOR"]) for key, model in models.items()},
            "png": path}


if __name__ == "__main__":
    main()
