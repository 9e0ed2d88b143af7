"""Sparse input on a bag-of-words workload: fastmlp fed a scipy CSR matrix against fastmlp fed the same
rows dense, fastmlp.sklearn's and scikit-learn's MLPClassifier (sparse, one partial_fit an epoch), and
PyTorch (dense, and torch.sparse.mm on each batch's rows).

    python bench/sparse.py [--rows 4000] [--features 20000] [--density 0.005] [--epochs 3] [--threads 2]

The workload is Deep Learning with Python's Reuters example made synthetic: multi-hot rows (each
stored value 1), 46 classes, two hidden ReLU layers, softmax output, Adam, batches of 128, reshuffled
every epoch. Every framework runs in a fresh child process (`bench/sparse.py --child NAME ...`), which
builds the data, builds the model, takes one warm-up step, then resets the kernel's peak-RSS mark
(bench/memory.py) and trains: "growth" is how far the resident set rose above where it stood before
training (buffers, gradients, optimizer state, any copy of X); "peak" is the whole process's resident
set at its highest (interpreter, libraries, data and model included). Time per epoch is the median
over the epochs. The machine and the CPU time others used meanwhile are printed with the table.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import machine  # noqa: E402
import memory  # noqa: E402

CLASSES = 46
HIDDEN = (128, 128)
BATCH = 128
LEARNING_RATE = 1e-3
FRAMEWORKS = ("fastmlp sparse", "fastmlp dense", "fastmlp.sklearn sparse", "scikit-learn sparse", "torch dense",
              "torch sparse")


def make_data(rows, features, density, seed=0):
    """Multi-hot rows at `density` and labels that depend on them (so every framework learns)."""
    from scipy import sparse

    rng = np.random.default_rng(seed)
    x = sparse.random(rows, features, density=density, format="csr", random_state=seed, dtype=np.float32)
    x.data[:] = 1.0
    projection = rng.normal(size=(features, CLASSES)).astype(np.float32)
    y = np.asarray(np.argmax(x @ projection, axis=1)).ravel()
    return x, y


def fastmlp_trainer(x, y, dense):
    import fastmlp as fm

    data = x.toarray() if dense else x
    fm.utils.set_random_seed(0)
    model = fm.Sequential([fm.layers.Input((x.shape[1],))] +
                          [fm.layers.Dense(units, activation="relu") for units in HIDDEN] +
                          [fm.layers.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer=fm.optimizers.Adam(LEARNING_RATE), loss="sparse_categorical_crossentropy")
    model.train_on_batch(data[:BATCH], y[:BATCH])

    def epoch():
        return model.fit(data, y, batch_size=BATCH, epochs=1, verbose=0).history["loss"][-1]
    return epoch, data


def sklearn_trainer(x, y, ours):
    if ours:  # fastmlp's drop-in estimator
        from fastmlp.sklearn import MLPClassifier
    else:
        from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(hidden_layer_sizes=HIDDEN, batch_size=BATCH, learning_rate_init=LEARNING_RATE,
                          random_state=0, shuffle=True)
    classes = np.arange(CLASSES)
    model.partial_fit(x[:BATCH], y[:BATCH], classes=classes)

    def epoch():  # partial_fit: one epoch of reshuffled minibatches
        model.partial_fit(x, y)
        return model.loss_
    return epoch, x


def torch_trainer(x, y, dense):
    import torch

    torch.manual_seed(0)
    widths = (x.shape[1], *HIDDEN)
    first = torch.nn.Linear(widths[0], widths[1])
    rest = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(widths[1], widths[2]), torch.nn.ReLU(),
                               torch.nn.Linear(widths[2], CLASSES))
    params = list(first.parameters()) + list(rest.parameters())
    optimizer = torch.optim.Adam(params, lr=LEARNING_RATE)
    labels = torch.from_numpy(y.astype(np.int64))
    data = torch.from_numpy(x.toarray()) if dense else x
    generator = np.random.default_rng(0)

    def rows_of(index):
        if dense:
            return first(data[torch.from_numpy(index)])
        coo = data[index].tocoo()  # this batch's rows, gathered sparse
        batch = torch.sparse_coo_tensor(np.vstack([coo.row, coo.col]), coo.data, coo.shape)
        return torch.sparse.mm(batch, first.weight.t()) + first.bias

    def step(index):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(rest(rows_of(index)), labels[torch.from_numpy(index)])
        loss.backward()
        optimizer.step()
        return float(loss)

    step(np.arange(BATCH))

    def epoch():
        order = generator.permutation(x.shape[0])
        losses = [step(order[start:start + BATCH]) for start in range(0, len(order), BATCH)]
        return float(np.mean(losses))
    return epoch, data


def _bytes_of(data):
    if hasattr(data, "indptr"):
        return data.data.nbytes + data.indices.nbytes + data.indptr.nbytes
    if hasattr(data, "element_size"):
        return data.element_size() * data.nelement()
    return data.nbytes


def child(name, rows, features, density, epochs, threads):
    import gc

    x, y = make_data(rows, features, density)
    if name in ("fastmlp sparse", "fastmlp dense"):
        import fastmlp as fm
        fm.set_num_threads(threads)
        epoch, data = fastmlp_trainer(x, y, dense=name.endswith("dense"))
    elif name.startswith("scikit-learn") or name.startswith("fastmlp.sklearn"):
        from threadpoolctl import threadpool_limits
        threadpool_limits(threads)
        if name.startswith("fastmlp"):
            import fastmlp as fm
            fm.set_num_threads(threads)
        epoch, data = sklearn_trainer(x, y, ours=name.startswith("fastmlp"))
    else:
        import torch
        torch.set_num_threads(threads)
        epoch, data = torch_trainer(x, y, dense=name.endswith("dense"))
    gc.collect()
    before = memory._status_kib("VmRSS")
    exact = memory._reset_peak_mark()
    times, losses = [], []
    for _ in range(epochs):
        start = time.perf_counter()
        losses.append(epoch())
        times.append(time.perf_counter() - start)
    peak = memory._status_kib("VmHWM") if exact else memory._max_rss_kib()
    print(json.dumps({"framework": name, "seconds_per_epoch": statistics.median(times), "losses": losses,
                      "x_mib": _bytes_of(data) / 2**20, "growth_mib": max(0, peak - before) / 1024,
                      "peak_mib": peak / 1024, "exact": exact}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--features", type=int, default=20000)
    parser.add_argument("--density", type=float, default=0.005)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--only", nargs="*", default=list(FRAMEWORKS), help="frameworks to run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows, args.features, args.density, args.epochs, args.threads)
        return
    for line in machine.describe(args.threads, []):
        print(line)
    print(f"workload: {args.rows} x {args.features} multi-hot at {args.density:.2%} density, hidden {HIDDEN}, "
          f"{CLASSES} classes, batch {BATCH}, Adam, {args.epochs} epochs each")
    contention = machine.CpuContention()
    contention.start()
    results = []
    for name in args.only:
        done = subprocess.run([sys.executable, __file__, "--child", name, "--rows", str(args.rows), "--features",
                               str(args.features), "--density", str(args.density), "--epochs", str(args.epochs),
                               "--threads", str(args.threads)], capture_output=True, text=True)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode or not lines:
            print(f"{name}: failed ({(done.stderr.strip().splitlines() or ['no output'])[-1]})")
            continue
        results.append(json.loads(lines[-1]))
    print(machine.contention_note(contention.other_share()))
    base = next((r for r in results if r["framework"] == "fastmlp sparse"), None)
    print(f"{'framework':<22}{'s/epoch':>9}{'x MiB':>9}{'growth MiB':>12}{'peak MiB':>10}"
          f"{'time/ours':>11}{'peak/ours':>11}  last loss")
    for r in results:
        ratio_t = r["seconds_per_epoch"] / base["seconds_per_epoch"] if base else float("nan")
        ratio_m = r["peak_mib"] / base["peak_mib"] if base else float("nan")
        print(f"{r['framework']:<22}{r['seconds_per_epoch']:>9.3f}{r['x_mib']:>9.1f}{r['growth_mib']:>12.1f}"
              f"{r['peak_mib']:>10.1f}{ratio_t:>11.2f}{ratio_m:>11.2f}  {r['losses'][-1]:.4f}")


if __name__ == "__main__":
    main()
