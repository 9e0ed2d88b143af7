"""Data-parallel costs on this machine: the allreduce per step and the epoch time with 1 and 2 ranks.

    python bench/data_parallel.py            # launches mpiexec -n 1 and -n 2 itself, prints one table

The network is the MNIST one of docs/distributed.md, 784-512-512-10 (669,706 parameters: 2.7 MB of
float32 gradients per step), trained with Adam on 10,000 rows of MNIST's shape (random values: the
time does not depend on them) at global batch sizes 128 and 512. Every figure comes from this one
run; the VM is shared, so compare rows with each other, not with another run.

Rows: "1 process" is plain fit without a distribution (with 1 and with every thread); "1 rank" is
DataParallel on one rank with one thread (against "1 process, 1 thread": the distributed path's own
overhead, packing the gradients, the call into Python, a 1-rank allreduce); "2 ranks" splits every
batch over two processes with one thread each (against "1 rank": the speed-up from the second core).
The allreduce rows time MPICommunicator.allreduce_sum (non-blocking MPI with our deadline and failure
checks) and mpi4py's blocking Allreduce on the same 2.7 MB buffer, and the C++ -> Python bridge on 1 float.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

ROWS, FEATURES, CLASSES = 10_000, 784, 10
EPOCHS = 2
BATCHES = (128, 512)


def network():
    import fastmlp as fm
    fm.utils.set_random_seed(0)
    model = fm.Sequential([fm.layers.Input((FEATURES,)), fm.layers.Dense(512, activation="relu"),
                           fm.layers.Dense(512, activation="relu"), fm.layers.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def data():
    rng = np.random.default_rng(0)
    x = rng.random((ROWS, FEATURES), dtype=np.float32)
    y = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, ROWS)]
    return x, y


def epoch_seconds(batch):
    model = network()
    x, y = data()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)  # warm up: buffers, optimizer slots, pages
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=EPOCHS, verbose=0)
    return (time.perf_counter() - start) / EPOCHS


def timed(call, repeats):
    call()
    start = time.perf_counter()
    for _ in range(repeats):
        call()
    return (time.perf_counter() - start) / repeats


def rank_main(mode):
    """One rank's measurements (mode "dp": under DataParallel; "alone": no distribution)."""
    import fastmlp as fm
    results = {}
    if mode == "alone":
        for threads in (1, 0):
            fm.set_num_threads(threads)
            for batch in BATCHES:
                results[f"1 process, {fm.get_num_threads()} thread(s), batch {batch}"] = epoch_seconds(batch)
        print(json.dumps(results))
        return
    from mpi4py import MPI
    dp = fm.distribution.DataParallel(num_threads=1)  # 1 thread per rank: 1 vs 2 ranks on 1 vs 2 cores
    fm.distribution.set_distribution(dp)
    label = f"{dp.size} rank(s) x {fm.get_num_threads()} thread(s)"
    for batch in BATCHES:
        results[f"{label}, batch {batch}"] = epoch_seconds(batch)
    gradients = np.ones(669_706, np.float32)
    comm = dp._communicator
    results[f"allreduce 2.7 MB, {dp.size} rank(s), fastmlp (non-blocking, deadline)"] = timed(
        lambda: comm.allreduce_sum(gradients), 50)
    results[f"allreduce 2.7 MB, {dp.size} rank(s), mpi4py blocking Allreduce"] = timed(
        lambda: MPI.COMM_WORLD.Allreduce(MPI.IN_PLACE, gradients, op=MPI.SUM), 50)
    one = np.ones(1, np.float32)
    results[f"allreduce 1 float, {dp.size} rank(s), fastmlp"] = timed(lambda: comm.allreduce_sum(one), 2000)
    results[f"allreduce 1 float, {dp.size} rank(s), mpi4py blocking Allreduce"] = timed(
        lambda: MPI.COMM_WORLD.Allreduce(MPI.IN_PLACE, one, op=MPI.SUM), 2000)
    if dp.rank == 0:
        print(json.dumps(results))


def main():
    mpiexec = shutil.which("mpiexec") or shutil.which("mpiexec", path=os.path.dirname(sys.executable))
    if mpiexec is None:
        sys.exit('needs mpiexec: pip install "fastmlp[mpi]"')
    env = dict(os.environ)
    env.pop("OMP_NUM_THREADS", None)
    results = {}
    runs = [[sys.executable, __file__, "alone"]] + [[mpiexec, "-n", str(n), sys.executable, __file__, "dp"]
                                                    for n in (1, 2)]
    for command in runs:
        output = subprocess.run(command, check=True, capture_output=True, text=True, env=env, timeout=1200).stdout
        results.update(json.loads(output.strip().splitlines()[-1]))
    print(f"{'measurement':<72} {'time':>12}")
    for name, seconds in results.items():
        unit = f"{seconds * 1e3:9.3f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:9.2f} us"
        print(f"{name:<72} {unit:>12}")
    for batch in BATCHES:
        one = results[f"1 rank(s) x 1 thread(s), batch {batch}"]
        two = results[f"2 rank(s) x 1 thread(s), batch {batch}"]
        steps = -(-ROWS // batch)
        print(f"batch {batch}: 2 ranks vs 1 rank (same cores): {one / two:.2f}x faster; "
              f"allreduce share of a 2-rank step: "
              f"{results['allreduce 2.7 MB, 2 rank(s), fastmlp (non-blocking, deadline)'] / (two / steps):.0%}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        rank_main(sys.argv[1])
    else:
        main()
