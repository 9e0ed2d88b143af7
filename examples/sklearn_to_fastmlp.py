"""From scikit-learn to fastmlp: the same MLPClassifier code, with only the import changed, timed side by
side on scikit-learn's handwritten digits (or on MNIST with --dataset mnist).

    from sklearn.neural_network import MLPClassifier   # before
    from fastmlp.sklearn import MLPClassifier          # after

    python examples/sklearn_to_fastmlp.py --out plots
"""

import argparse
import importlib
import os
import pathlib
import time
import warnings

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

LIBRARIES = {"scikit-learn": "sklearn.neural_network", "fastmlp": "fastmlp.sklearn"}
MNIST_DIR = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def load(dataset):
    if dataset == "mnist":
        import fastmlp.datasets
        images, labels = fastmlp.datasets.load_mnist(MNIST_DIR, kind="t10k")
        x = images.reshape(len(images), -1) / 255.0
        return x[:8000], x[8000:], labels[:8000], labels[8000:]
    digits = load_digits()
    return train_test_split(digits.data / 16.0, digits.target, test_size=0.25, random_state=0)


def train_and_time(module_name, x_train, x_test, y_train, y_test, max_iter):
    MLPClassifier = importlib.import_module(module_name).MLPClassifier  # the only line that differs

    # ---- the same scikit-learn code for both libraries ----
    clf = MLPClassifier(hidden_layer_sizes=(100,), activation="relu", solver="adam", alpha=1e-4,
                        batch_size=200, learning_rate_init=1e-3, max_iter=max_iter, random_state=0)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x_train, y_train)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    accuracy = clf.score(x_test, y_test)
    predict_seconds = time.perf_counter() - start
    return {"fit_s": fit_seconds, "predict_s": predict_seconds, "accuracy": accuracy, "epochs": clf.n_iter_,
            "loss": clf.loss_}


def plot_times(results, dataset, path):
    names = list(results)
    figure, axis = plt.subplots(figsize=(6.4, 2.6))
    seconds = [results[name]["fit_s"] for name in names]
    bars = axis.barh(names, seconds, color=["#8c8c8c", "#d62728"])
    for bar, name in zip(bars, names):
        axis.text(bar.get_width(), bar.get_y() + bar.get_height() / 2,
                  f"  {results[name]['fit_s']:.2f} s, accuracy {results[name]['accuracy']:.3f}", va="center")
    axis.set_xlim(0, max(seconds) * 1.7)
    axis.invert_yaxis()
    axis.set_xlabel("fit time (s), same MLPClassifier code")
    epochs = results[names[0]]["epochs"]
    axis.set_title(f"MLPClassifier(100,) on {dataset}, {epochs} epochs: "
                   f"fastmlp {results['scikit-learn']['fit_s'] / results['fastmlp']['fit_s']:.0f}x faster")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=["digits", "mnist"], default="digits")
    parser.add_argument("--epochs", type=int, default=100, help="max_iter of both classifiers")
    parser.add_argument("--out", default=".", help="directory for the PNG")
    parser.add_argument("--quick", action="store_true", help="20 epochs (for tests)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    max_iter = min(args.epochs, 20) if args.quick else args.epochs

    x_train, x_test, y_train, y_test = load(args.dataset)
    # A first fit pays one-time costs (lazy imports, starting the thread pool): pay them before timing.
    for module_name in LIBRARIES.values():
        train_and_time(module_name, x_train[:300], x_test[:10], y_train[:300], y_test[:10], max_iter=1)
    results = {}
    for library, module_name in LIBRARIES.items():
        results[library] = train_and_time(module_name, x_train, x_test, y_train, y_test, max_iter)
        r = results[library]
        print(f"{library:>12}: fit {r['fit_s']:7.3f} s, predict {r['predict_s'] * 1e3:7.2f} ms, "
              f"held-out accuracy {r['accuracy']:.4f}, loss {r['loss']:.4f} after {r['epochs']} epochs")
    speedup = results["scikit-learn"]["fit_s"] / results["fastmlp"]["fit_s"]
    print(f"fastmlp fits {speedup:.1f}x faster on {len(x_train)} {args.dataset} samples ({os.cpu_count()} cores)")
    path = os.path.join(args.out, "sklearn_vs_fastmlp.png")
    plot_times(results, args.dataset, path)
    print(f"timings written to {path}")
    return {"results": results, "speedup": speedup, "png": path}


if __name__ == "__main__":
    main()
