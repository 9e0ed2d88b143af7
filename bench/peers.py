"""fastmlp and its peers behind one small interface, each set up as alike as the framework allows.

Every peer class is built for one Workload (and a seed) and offers:
    train_epochs(count)  trains `count` epochs of reshuffled minibatches; returns each epoch's seconds
    train(epochs)        trains `epochs` epochs in one call, as a user would (XOR's 1000 epochs)
    predictors()         [(label, fn(x) -> outputs)]: the inference calls worth timing
    differences          what this peer does differently from the common setup, in words
and the class offers available() (None, or why it cannot run) and set_threads(n) (what it controls).
"""

import time
import warnings

import numpy as np

import blas_threads
from numpy_mlp import NumpyMLP
from workloads import BETA_1, BETA_2, EPSILON, LEARNING_RATE


def _importable(module):
    try:
        __import__(module)
    except ImportError as error:
        return f"{module} is not importable ({error})"
    return None


def _time_each(count, step):
    times = []
    for _ in range(count):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


class FastmlpPeer:
    name = "fastmlp"

    @staticmethod
    def available():
        return _importable("fastmlp")

    @staticmethod
    def set_threads(n):
        import fastmlp

        fastmlp.set_num_threads(n)
        return (f"fastmlp.set_num_threads({n}): its worker threads for the matrix products' 2-D blocks and large "
                "elementwise loops (each product shape may use fewer where its first calls timed faster so)")

    def __init__(self, workload, seed=0):
        import fastmlp as fm

        fm.utils.set_random_seed(seed)
        layers = [fm.layers.Input((workload.sizes[0],))]
        layers += [fm.layers.Dense(units, activation=workload.hidden) for units in workload.sizes[1:-1]]
        layers.append(fm.layers.Dense(workload.sizes[-1], activation=workload.output))
        self.model = fm.Sequential(layers)
        self.model.compile(optimizer=fm.optimizers.Adam(LEARNING_RATE, BETA_1, BETA_2, EPSILON), loss=workload.loss)
        self.workload = workload
        self.differences = []

    def train_epochs(self, count):
        # One fit() call, as a user makes it; a callback stamps each epoch's start and end, so the
        # times are of the C++ epoch loop plus fastmlp's own per-epoch Python hooks.
        from fastmlp.callbacks import Callback

        class EpochTimer(Callback):
            def __init__(self):
                super().__init__()
                self.times, self.start = [], 0.0

            def on_epoch_begin(self, epoch, logs=None):
                self.start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                self.times.append(time.perf_counter() - self.start)

        timer = EpochTimer()
        w = self.workload
        self.model.fit(w.x, w.targets, batch_size=w.batch_size, epochs=count, verbose=0, callbacks=[timer])
        return timer.times

    def train(self, epochs):
        w = self.workload
        self.model.fit(w.x, w.targets, batch_size=w.batch_size, epochs=epochs, verbose=0)

    def train_core(self, epochs):
        """The C++ training loop alone (Sequential._core.fit), without fit()'s Python callbacks."""
        w = self.workload
        from fastmlp import _core
        self.model._core.fit([w.x], [w.targets], _core.FitOptions(batch_size=w.batch_size, epochs=epochs))

    def predictors(self):
        model = self.model
        return [("model.predict()", lambda x: model.predict(x, verbose=0)),
                ("_core.predict() (C++ via pybind11)", lambda x: model._core.predict([x], 0)[0])]


class NumpyPeer:
    name = "NumPy"

    @staticmethod
    def available():
        return None

    @staticmethod
    def set_threads(n):
        return blas_threads.limit(n)

    def __init__(self, workload, seed=0):
        w = workload
        self.mlp = NumpyMLP(w.sizes, w.hidden, w.output, w.loss, w.batch_size, LEARNING_RATE, BETA_1, BETA_2,
                            EPSILON, seed)
        self.workload = w
        self.differences = ["elementwise work runs on one thread (NumPy ufuncs); only the matrix products use "
                            "BLAS threads"]

    def train_epochs(self, count):
        return _time_each(count, lambda: self.mlp.train_epoch(self.workload.x, self.workload.targets))

    def train(self, epochs):
        for _ in range(epochs):
            self.mlp.train_epoch(self.workload.x, self.workload.targets)

    def predictors(self):
        return [("a @ W + b, ... (plain NumPy)", self.mlp.predict)]


class SklearnPeer:
    name = "scikit-learn"

    @staticmethod
    def available():
        return _importable("sklearn")

    @staticmethod
    def set_threads(n):
        return blas_threads.limit(n)

    def __init__(self, workload, seed=0):
        from sklearn.neural_network import MLPClassifier

        w = workload
        self.workload = w
        self.classes = np.unique(w.labels)
        # alpha=0: no L2 term (sklearn's default is 1e-4); epsilon as Keras's (sklearn's default is
        # 1e-8); tol=0 and no early stopping, so that every call trains. sklearn's Adam folds the
        # bias corrections into the step size exactly as Keras and fastmlp do. Both workloads are
        # classifications with a softmax or sigmoid output and cross-entropy, as MLPClassifier trains.
        self.clf = MLPClassifier(hidden_layer_sizes=w.sizes[1:-1],
                                 activation={"relu": "relu", "sigmoid": "logistic"}[w.hidden],
                                 solver="adam", alpha=0.0, batch_size=w.batch_size, learning_rate_init=LEARNING_RATE,
                                 beta_1=BETA_1, beta_2=BETA_2, epsilon=EPSILON, shuffle=True, random_state=seed,
                                 tol=0.0, n_iter_no_change=10**9, max_iter=1)
        self.differences = ["alpha=0 (no L2 term) and epsilon=1e-7 set explicitly",
                            "elementwise work runs on one thread; only the matrix products use BLAS threads",
                            "one partial_fit() call per epoch, which re-validates X and one-hot encodes y "
                            "(X's NaN scan is skipped with assume_finite=True)"]

    def _note_dtype(self):
        dtype = self.clf.coefs_[0].dtype
        note = f"trains in {dtype}, not float32"
        if dtype != np.float32 and note not in self.differences:
            self.differences.append(note)

    def _partial_fit(self):
        import sklearn

        with sklearn.config_context(assume_finite=True):
            self.clf.partial_fit(self.workload.x, self.workload.labels, classes=self.classes)

    def train_epochs(self, count):
        times = _time_each(count, self._partial_fit)  # partial_fit is exactly one epoch
        self._note_dtype()
        return times

    def train(self, epochs):
        import sklearn
        from sklearn.exceptions import ConvergenceWarning

        self.clf.set_params(max_iter=epochs)
        with warnings.catch_warnings(), sklearn.config_context(assume_finite=True):
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.clf.fit(self.workload.x, self.workload.labels)
        self.clf.set_params(max_iter=1)
        self._note_dtype()

    def predictors(self):
        return [("predict_proba()", self.clf.predict_proba)]


class TorchPeer:
    name = "PyTorch"

    @staticmethod
    def available():
        reason = _importable("torch")
        return f"{reason}; install torch (CPU build) to include it" if reason else None

    @staticmethod
    def set_threads(n):
        import torch

        torch.set_num_threads(n)
        return f"torch.set_num_threads({n}): its intra-op thread pool"

    def __init__(self, workload, seed=0):
        import torch
        from torch import nn

        w = workload
        self.torch = torch
        torch.manual_seed(seed)
        self.generator = torch.Generator().manual_seed(seed)
        modules = []
        for i, (fan_in, units) in enumerate(zip(w.sizes[:-1], w.sizes[1:])):
            modules.append(nn.Linear(fan_in, units))
            if i + 2 < len(w.sizes):
                modules.append(nn.ReLU() if w.hidden == "relu" else nn.Sigmoid())
        self.model = nn.Sequential(*modules)  # outputs logits; the loss fuses softmax/sigmoid
        self.softmax_out = w.output == "softmax"
        if self.softmax_out:
            self.loss_fn = nn.CrossEntropyLoss()
            self.targets = torch.from_numpy(w.labels)
        else:
            self.loss_fn = nn.BCEWithLogitsLoss()
            self.targets = torch.from_numpy(w.targets)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=LEARNING_RATE, betas=(BETA_1, BETA_2),
                                          eps=EPSILON)
        self.inputs = torch.from_numpy(w.x)  # shares memory with the NumPy array: no copy
        self.workload = w
        self.differences = ["Adam adds epsilon to sqrt(v_hat) rather than to sqrt(v) (same step up to epsilon's "
                            "scale)", "torch.optim.Adam with its default (per-tensor) implementation"]

    def _epoch(self):
        x, t, b = self.inputs, self.targets, self.workload.batch_size
        order = self.torch.randperm(len(x), generator=self.generator)
        for first in range(0, len(x), b):
            idx = order[first:first + b]
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.loss_fn(self.model(x.index_select(0, idx)), t.index_select(0, idx))
            loss.backward()
            self.optimizer.step()

    def train_epochs(self, count):
        return _time_each(count, self._epoch)

    def train(self, epochs):
        for _ in range(epochs):
            self._epoch()

    def predictors(self):
        torch, model = self.torch, self.model

        def predict(x):
            with torch.inference_mode():
                out = model(torch.from_numpy(x))
                return (torch.softmax(out, dim=1) if self.softmax_out else torch.sigmoid(out)).numpy()

        return [("forward under inference_mode()", predict)]


ALL_PEERS = [FastmlpPeer, NumpyPeer, SklearnPeer, TorchPeer]
BY_NAME = {peer.name: peer for peer in ALL_PEERS}
