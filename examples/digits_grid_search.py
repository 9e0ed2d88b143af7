"""The digits network: 64-50-10 with a sigmoid hidden layer and a softmax output, on scikit-learn's 8x8
handwritten digits, and a grid search over the learning rate and the L2 strength drawn as a heatmap of
held-out accuracy.

    python examples/digits_grid_search.py --epochs 40 --out plots
"""

import argparse
import os
import time

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import fastmlp as fm  # noqa: E402

LEARNING_RATES = [0.01, 0.03, 0.1, 0.3, 1.0]
L2_STRENGTHS = [0.0, 1e-4, 1e-3, 1e-2]


def digits_network(learning_rate, l2):
    model = fm.Sequential([fm.layers.Input((64,)),
                           fm.layers.Dense(50, activation="sigmoid", kernel_regularizer=fm.regularizers.L2(l2)),
                           fm.layers.Dense(10, activation="softmax", kernel_regularizer=fm.regularizers.L2(l2))])
    model.compile(optimizer=fm.optimizers.SGD(learning_rate, momentum=0.9), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def grid_search(x_train, y_train, x_test, y_test, learning_rates, strengths, epochs, seed):
    """Held-out accuracy for every (learning rate, L2 strength): rows are strengths, columns rates."""
    accuracy = np.zeros((len(strengths), len(learning_rates)))
    for row, l2 in enumerate(strengths):
        for column, rate in enumerate(learning_rates):
            fm.utils.set_random_seed(seed)  # the same initial weights and order for every cell
            model = digits_network(rate, l2)
            model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0)
            accuracy[row, column] = model.evaluate(x_test, y_test, verbose=0)[1]
            print(f"learning rate {rate:<5g} L2 {l2:<7g} held-out accuracy {accuracy[row, column]:.4f}")
    return accuracy


def plot_heatmap(accuracy, learning_rates, strengths, path):
    figure, axis = plt.subplots(figsize=(6.4, 4.2))
    image = axis.imshow(accuracy, cmap="viridis", vmin=max(0.0, accuracy.min()), vmax=1.0)
    axis.set_xticks(range(len(learning_rates)), [f"{r:g}" for r in learning_rates])
    axis.set_yticks(range(len(strengths)), [f"{s:g}" for s in strengths])
    axis.set_xlabel("learning rate (SGD, momentum 0.9)")
    axis.set_ylabel("L2 strength")
    for (row, column), value in np.ndenumerate(accuracy):
        axis.text(column, row, f"{value:.3f}", ha="center", va="center",
                  color="black" if value > accuracy.min() + 0.6 * (1 - accuracy.min()) else "white", fontsize=9)
    figure.colorbar(image, ax=axis, label="held-out accuracy")
    axis.set_title("64-50-10 digits network: held-out accuracy")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=".", help="directory for the PNG")
    parser.add_argument("--quick", action="store_true", help="10 epochs (for tests)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    learning_rates, strengths = LEARNING_RATES, L2_STRENGTHS
    epochs = min(args.epochs, 10) if args.quick else args.epochs

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = fm.utils.to_categorical(digits.target, 10)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=args.seed,
                                                        stratify=digits.target)
    start = time.perf_counter()
    accuracy = grid_search(x_train, y_train, x_test, y_test, learning_rates, strengths, epochs, args.seed)
    row, column = np.unravel_index(np.argmax(accuracy), accuracy.shape)
    print(f"best: learning rate {learning_rates[column]:g}, L2 {strengths[row]:g}, held-out accuracy "
          f"{accuracy[row, column]:.4f} ({accuracy.size} networks x {epochs} epochs in "
          f"{time.perf_counter() - start:.1f} s)")
    path = os.path.join(args.out, "digits_grid_search.png")
    plot_heatmap(accuracy, learning_rates, strengths, path)
    print(f"heatmap written to {path}")
    return {"accuracy": accuracy, "best_accuracy": float(accuracy.max()),
            "best": (learning_rates[column], strengths[row]), "png": path}


if __name__ == "__main__":
    main()
