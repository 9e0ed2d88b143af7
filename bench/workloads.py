"""The benchmark workloads: a network shape, its training settings and its data, framework-neutral."""

import os
from dataclasses import dataclass, field

import numpy as np

import mnist_idx

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MNIST_DIR = os.path.join(REPO_ROOT, "..", "shared", "data", "mnist")
MNIST_ROWS = 60_000

LEARNING_RATE = 1e-3
BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7  # Keras's Adam defaults, used by every framework


@dataclass
class Workload:
    """One network trained on one data set; every framework gets exactly these arrays.

    sizes: layer widths from input to output, e.g. (784, 512, 512, 10).
    hidden / output: activation names ("relu", "sigmoid"; output "softmax" or "sigmoid").
    loss: Keras's loss name, fused with the output activation: "categorical_crossentropy" after
    softmax, "binary_crossentropy" after sigmoid; either way dLoss/dZ = (p - y)/n.
    x: float32 (n, sizes[0]); labels: int64 (n,) class ids; targets: float32 (n, sizes[-1]),
    the one-hot rows (or the 0/1 column) that fastmlp and the NumPy network train on.
    """

    key: str
    title: str
    sizes: tuple
    hidden: str
    output: str
    loss: str
    batch_size: int
    x: np.ndarray
    labels: np.ndarray
    targets: np.ndarray
    source: str
    notes: list = field(default_factory=list)

    @property
    def rows(self):
        return len(self.x)

    @property
    def architecture(self):
        return "-".join(str(s) for s in self.sizes) + f" ({self.hidden}, {self.output} out)"

    def subset(self, rows):
        """The same workload on the first ``rows`` rows (views, no copies)."""
        return Workload(self.key, self.title, self.sizes, self.hidden, self.output, self.loss,
                        self.batch_size, self.x[:rows], self.labels[:rows], self.targets[:rows],
                        f"{self.source}, first {rows} rows", list(self.notes))


def one_hot(labels, classes):
    out = np.zeros((len(labels), classes), dtype=np.float32)
    out[np.arange(len(labels)), labels] = 1
    return out


def mnist(rows=MNIST_ROWS, mnist_dir=DEFAULT_MNIST_DIR, seed=0):
    """Workload 1: 784-512-512-10 relu/softmax on MNIST's test set tiled to ``rows`` rows, in [0, 1]."""
    notes = []
    try:
        images, labels = mnist_idx.load_mnist_test(mnist_dir)
        reps = -(-rows // len(images))
        x = np.tile(images.reshape(len(images), -1), (reps, 1))[:rows].astype(np.float32) / np.float32(255)
        labels = np.tile(labels, reps)[:rows].astype(np.int64)
        source = f"MNIST t10k ({len(images)} rows) tiled to {rows} rows, scaled to [0, 1]"
    except (OSError, ValueError) as error:
        rng = np.random.default_rng(seed)
        x = rng.random((rows, 784), dtype=np.float32)
        labels = rng.integers(0, 10, rows).astype(np.int64)
        source = f"random data of MNIST's shape ({rows}, 784)"
        notes.append(f"MNIST files not usable in {os.path.abspath(mnist_dir)} ({error}); using random data")
    return Workload("mnist", "1. MNIST-shaped MLP", (784, 512, 512, 10), "relu", "softmax",
                    "categorical_crossentropy", 128, np.ascontiguousarray(x), labels, one_hot(labels, 10),
                    source, notes)


def digits():
    """Workload 2: scikit-learn's 8x8 digits, 64-50-10 sigmoid/softmax, batch 32 (overhead-bound)."""
    notes = []
    try:
        from sklearn.datasets import load_digits

        data = load_digits()
        x, labels = (data.data / 16.0).astype(np.float32), data.target.astype(np.int64)
        source = f"sklearn load_digits ({len(x)} rows), scaled to [0, 1]"
    except ImportError:
        rng = np.random.default_rng(0)
        x, labels = rng.random((1797, 64), dtype=np.float32), rng.integers(0, 10, 1797).astype(np.int64)
        source = "random data of the digits' shape (1797, 64)"
        notes.append("scikit-learn is not installed: workload 2 uses random data of the digits' shape")
    return Workload("digits", "2. Digits MLP", (64, 50, 10), "sigmoid", "softmax", "categorical_crossentropy",
                    32, np.ascontiguousarray(x), labels, one_hot(labels, 10), source, notes)


def xor():
    """Workload 3: XOR, 2-3-1 relu/sigmoid, batch 4 (one batch per epoch).

    Binary cross-entropy rather than mean squared error: it is the one loss for a sigmoid output
    that scikit-learn's MLPClassifier also trains, so all four frameworks compute the same thing."""
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    labels = np.array([0, 1, 1, 0], dtype=np.int64)
    return Workload("xor", "3. XOR", (2, 3, 1), "relu", "sigmoid", "binary_crossentropy", 4, x, labels,
                    labels.astype(np.float32).reshape(-1, 1), "the 4 XOR rows")


def tiled_rows(x, rows):
    """``rows`` rows of ``x`` repeated as often as needed (for batched-inference throughput)."""
    reps = -(-rows // len(x))
    return np.ascontiguousarray(np.tile(x, (reps, 1))[:rows])
