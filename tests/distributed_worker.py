"""One rank of the data-parallel tests, run as ``mpiexec -n 2 python distributed_worker.py SCENARIO OUT``.

Scenarios: "replicated" and "sharded" train the digits network ("custom": with a user's layer, loss and
metric) and save each rank's weights,
history, evaluation and files to OUT; "functional" does the same for a functional model of two inputs
and two outputs (a residual block, a shared layer, two losses); "raise", "stall", "interrupt" and "kill" make rank 1 fail
in one way while rank 0 trains on. tests/test_distributed.py builds the one-process references
with the same functions.
"""

import os
import signal
import sys
import time

import numpy as np

import fastmlp as fm

SEED = 5
BATCH = 64
EPOCHS = 3


def digits(dtype="float32"):
    """scikit-learn's digits (real data shipped with it): train and validation parts, one-hot targets."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(dtype)
    y = fm.utils.to_categorical(y, 10).astype(dtype)
    return x[:1500], y[:1500], x[1500:], y[1500:]


def model(seed=SEED, dtype="float32"):
    fm.utils.set_random_seed(seed)
    net = fm.Sequential([fm.layers.Input((64,), dtype=dtype), fm.layers.Dense(32, activation="relu", dtype=dtype),
                         fm.layers.Dense(10, activation="softmax", dtype=dtype)])
    net.compile(optimizer=fm.optimizers.Adam(learning_rate=3e-3), loss="categorical_crossentropy",
                metrics=["accuracy"])
    return net


def functional_digits():
    """digits() for functional_model(): the pixels split over two inputs, targets for two outputs (the
    digit and the ink, each sample's mean pixel), all as dicts by name."""
    x, y, x_val, y_val = digits()

    def inputs(pixels):
        return {"top": pixels[:, :40], "bottom": pixels[:, 40:]}

    def targets(pixels, labels):
        return {"digit": labels, "ink": pixels.mean(axis=1, keepdims=True)}

    return inputs(x), targets(x, y), inputs(x_val), targets(x_val, y_val)


def functional_model(seed=SEED):
    """Two inputs, each through its own Dense; their sum through a residual block whose Dense is called
    twice (shared weights); a softmax output and a regression output fed by a Concatenate."""
    fm.utils.set_random_seed(seed)
    top, bottom = fm.Input((40,), name="top"), fm.Input((24,), name="bottom")
    hidden = fm.layers.Add()([fm.layers.Dense(32, activation="relu")(top),
                              fm.layers.Dense(32, activation="relu")(bottom)])
    shared = fm.layers.Dense(32, activation="tanh")
    hidden = fm.layers.Add()([hidden, shared(shared(hidden))])
    digit = fm.layers.Dense(10, activation="softmax", name="digit")(hidden)
    ink = fm.layers.Dense(1, name="ink")(fm.layers.Concatenate()([hidden, bottom]))
    net = fm.Model([top, bottom], [digit, ink])
    net.compile(optimizer=fm.optimizers.Adam(learning_rate=3e-3),
                loss={"digit": "categorical_crossentropy", "ink": "mse"}, loss_weights={"digit": 1.0, "ink": 0.5},
                metrics={"digit": ["accuracy"]})
    return net


class Scaled(fm.layers.Layer):
    """A user's layer: x W + b, scaled by a learnt per-unit gain (traced into the C++ loop)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")
        self.gain = self.add_weight(shape=(self.units,), initializer="ones", name="gain")

    def call(self, x):
        return fm.ops.tanh(fm.ops.matmul(x, self.w) + self.b) * self.gain


def smoothed_crossentropy(y_true, y_pred):
    return fm.ops.categorical_crossentropy(y_true * 0.9 + 0.01, y_pred)


def custom_model(seed=SEED):
    """The digits network with a user's layer, loss function and metric function."""
    fm.utils.set_random_seed(seed)
    net = fm.Sequential([fm.layers.Input((64,)), Scaled(32), fm.layers.Dense(10, activation="softmax")])
    net.compile(optimizer=fm.optimizers.Adam(learning_rate=3e-3), loss=smoothed_crossentropy,
                metrics=["accuracy", smoothed_crossentropy])
    return net


def shard_rows(rank):
    """Unequal shards of the 1500 training rows: 600 on rank 0, 900 on rank 1."""
    return slice(0, 600) if rank == 0 else slice(600, 1500)


def callbacks(out, rank):
    return [fm.callbacks.EarlyStopping(monitor="val_loss", patience=1, min_delta=0.05),
            fm.callbacks.ModelCheckpoint(os.path.join(out, f"checkpoint-{{epoch}}-from-rank-{rank}.fmlp")),
            fm.callbacks.CSVLogger(os.path.join(out, f"log-from-rank-{rank}.csv"))]


def train(scenario, out):
    dp = fm.distribution.DataParallel(auto_shard_dataset=scenario != "sharded", timeout=60)
    fm.distribution.set_distribution(dp)
    dtype = "float64" if scenario == "float64" else "float32"
    x, y, x_val, y_val = functional_digits() if scenario == "functional" else digits(dtype)
    if scenario == "sharded":
        x, y = x[shard_rows(dp.rank)], y[shard_rows(dp.rank)]
        x_val, y_val = (x_val[:150], y_val[:150]) if dp.rank == 0 else (x_val[150:], y_val[150:])
    # Rank 1 starts from other weights: rank 0's must reach every rank.
    seed = SEED if dp.rank == 0 else SEED + 1
    net = functional_model(seed) if scenario == "functional" else custom_model(seed) if scenario == "custom" else \
        model(seed, dtype)
    history = net.fit(x, y, batch_size=BATCH, epochs=EPOCHS, validation_data=(x_val, y_val), verbose=0,
                      callbacks=callbacks(out, dp.rank))
    evaluation = net.evaluate(x_val, y_val, verbose=0, return_dict=True)
    np.savez(os.path.join(out, f"rank{dp.rank}.npz"), *net.get_weights(),
             history=np.array([history.history[k] for k in sorted(history.history)]),
             evaluation=np.array([evaluation[k] for k in sorted(evaluation)]),
             threads=fm.get_num_threads(), size=dp.size)


def fail(scenario, out):
    dp = fm.distribution.DataParallel(timeout=4 if scenario == "stall" else 600)
    fm.distribution.set_distribution(dp)
    x, y, _, _ = digits()
    net = model()

    def on_epoch_end(epoch, logs):
        if dp.rank == 1 and epoch == 1:
            if scenario == "raise":
                raise ValueError("rank 1's callback failed")
            if scenario == "stall":
                time.sleep(300)
            if scenario == "kill":
                os.kill(os.getpid(), signal.SIGKILL)

    with open(os.path.join(out, f"pid{dp.rank}"), "w") as marker:  # the test signals these processes
        marker.write(str(os.getpid()))
    start = time.monotonic()
    try:
        net.fit(x, y, batch_size=BATCH, epochs=100000, verbose=0,
                callbacks=[fm.callbacks.LambdaCallback(on_epoch_end=on_epoch_end)])
    finally:
        with open(os.path.join(out, f"stopped{dp.rank}"), "w") as marker:
            marker.write(f"{time.monotonic() - start:.3f}\n{sys.exc_info()[0].__name__}\n{sys.exc_info()[1]}")


def early(out):
    """[issue 26] Rank 1 fails before it creates its DataParallel; rank 0 waits for it with a 3 s timeout."""
    from mpi4py import MPI
    if MPI.COMM_WORLD.Get_rank() == 1:
        raise RuntimeError("rank 1 failed before DataParallel()")
    start = time.monotonic()
    try:
        fm.distribution.DataParallel(timeout=3)
    finally:
        with open(os.path.join(out, "stopped0"), "w") as marker:
            marker.write(f"{time.monotonic() - start:.3f}\n{sys.exc_info()[0].__name__}\n{sys.exc_info()[1]}")


def uneven_evaluate(out):
    """[issue 26] Replicated evaluation with 256 rows on rank 0 and 100 on rank 1."""
    dp = fm.distribution.DataParallel(timeout=60)
    fm.distribution.set_distribution(dp)
    x, y, _, _ = digits()
    net = model()
    rows = 256 if dp.rank == 0 else 100
    try:
        net.evaluate(x[:rows], y[:rows], verbose=0)
        outcome = "evaluated"
    except ValueError as error:
        outcome = f"ValueError\n{error}"
    with open(os.path.join(out, f"stopped{dp.rank}"), "w") as marker:
        marker.write(f"0\n{outcome}\n")


if __name__ == "__main__":
    scenario, out = sys.argv[1], sys.argv[2]
    if scenario in ("replicated", "sharded", "functional", "float64", "custom"):
        train(scenario, out)
    elif scenario == "early":
        early(out)
    elif scenario == "uneven_evaluate":
        uneven_evaluate(out)
    else:
        fail(scenario, out)
