"""MNIST with the classic Keras MLP: 784-512-512-10, relu, Dropout(0.2), RMSprop, categorical
cross-entropy, validation data each epoch, and the history's curves plotted to a PNG.

The data are MNIST's IDX files in ../shared/data/mnist (beside this repository) or --data DIR. That
directory holds the 10,000 t10k images: the first 8,000 train the network and the last 2,000 test it.

    python examples/mnist_mlp.py --epochs 20 --out plots
"""

import argparse
import os
import pathlib
import time

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import fastmlp as fm  # noqa: E402

DEFAULT_DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def mnist_mlp():
    model = fm.Sequential([fm.layers.Input((784,)),
                           fm.layers.Dense(512, activation="relu"), fm.layers.Dropout(0.2),
                           fm.layers.Dense(512, activation="relu"), fm.layers.Dropout(0.2),
                           fm.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=fm.optimizers.RMSprop(), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def plot_history(history, path):
    epochs = np.arange(1, len(history["loss"]) + 1)
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    for axis, key, label in ((left, "loss", "cross-entropy"), (right, "accuracy", "accuracy")):
        axis.plot(epochs, history[key], "o-", label="training")
        axis.plot(epochs, history[f"val_{key}"], "s-", label="validation")
        axis.set_xlabel("epoch")
        axis.set_ylabel(label)
        axis.legend()
        axis.grid(alpha=0.3)
    figure.suptitle("MNIST 784-512-512-10, Dropout(0.2), RMSprop")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="directory with t10k-*-idx*-ubyte(.gz)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--train", type=int, default=8000, help="training rows (the rest up to 10,000 test)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=".", help="directory for the PNG")
    parser.add_argument("--quick", action="store_true", help="1,000 training rows and 2 epochs (for tests)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    train_rows, epochs = (min(args.train, 1000), min(args.epochs, 2)) if args.quick else (args.train, args.epochs)

    images, labels = fm.datasets.load_mnist(args.data, kind="t10k")
    x = images.reshape(len(images), 784).astype(np.float32) / 255.0
    y = fm.utils.to_categorical(labels, 10)
    x_train, y_train, x_test, y_test = x[:train_rows], y[:train_rows], x[8000:], y[8000:]
    print(f"{len(x_train)} training and {len(x_test)} test images from {args.data}")

    fm.utils.set_random_seed(args.seed)
    model = mnist_mlp()
    model.summary()
    start = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=epochs, verbose=2,
                        validation_data=(x_test, y_test))
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f} ({seconds:.1f} s for {epochs} epochs, "
          f"{fm.get_num_threads()} threads)")
    path = os.path.join(args.out, "mnist_history.png")
    plot_history(history.history, path)
    print(f"training curves written to {path}")
    return {"history": history.history, "test_accuracy": accuracy, "test_loss": loss, "png": path}


if __name__ == "__main__":
    main()
