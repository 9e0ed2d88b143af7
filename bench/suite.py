"""The measurements: each workload run on every framework, results kept as plain numbers (JSON-ready).

Fairness rules that every measurement follows:
- every framework gets the same float32 arrays, layer sizes, batch size, Adam settings and threads;
- training epochs reshuffle the data, and time is taken after at least one warm-up epoch;
- the frameworks take turns in rounds, so a slow spell of a shared machine hits all of them alike,
  and each turn starts after a short sleep so that the previous framework's thread pool has parked.
"""

import dataclasses
import os
import time
from dataclasses import dataclass

import gemm
import machine
import memory
import peers
import workloads
from timing import latency_ns, median, settle

SEED = 0
XOR_EPOCHS = 1000  # the workload 3; --quick runs fewer
SHORT_EPOCH = 0.25  # seconds: turns of shorter epochs get one more untimed epoch, as caches went cold
GEMM_BATCHES = (32, 128, 512)  # batch sizes at which fastmlp's training FLOP/s is set against the best sgemm


@dataclass
class Sizes:
    """How much of everything is measured; --quick shrinks it to a smoke test."""

    mnist_rows: int
    repeats: int            # timed epochs of workload 1; timed 1000-epoch runs of workload 3
    digits_epochs: int      # timed epochs of workload 2 (its epochs are milliseconds)
    xor_epochs: int
    latency_calls: int      # timed single-row predict calls
    batch_rows: int         # rows of the batched predict
    batch_calls: int
    scaling_rows: int
    memory_rows: int
    gemm_n: int
    settle_s: float
    contention_rounds: int

    @classmethod
    def make(cls, quick, repeats=0):
        if quick:
            r = repeats or 2
            return cls(256, r, 5 * r, 100, 100, 1000, 3, 256, 12_000, 256, 0.02, 1)
        r = repeats or 5
        return cls(workloads.MNIST_ROWS, r, 10 * r, XOR_EPOCHS, 2000, 10_000, 10, 20_000, workloads.MNIST_ROWS, 2048,
                   0.3, 3)


class Suite:
    def __init__(self, peer_classes, threads, sizes, mnist_dir, progress):
        self.peer_classes, self.threads, self.sizes = peer_classes, threads, sizes
        self.mnist_dir, self.progress = mnist_dir, progress
        self.thread_controls = [f"{p.name}: {p.set_threads(threads)}" for p in peer_classes]
        self.results = {"training": [], "gemm": None, "memory": [], "inference": [], "threads": [],
                        "equivalence": {}, "differences": {}, "notes": [], "contention": {}, "shared_cores": None}
        self._mnist = None

    def note(self, text):
        if text not in self.results["notes"]:
            self.results["notes"].append(text)
            self.progress(f"note: {text}")

    def mnist(self):
        if self._mnist is None:
            self._mnist = workloads.mnist(rows=self.sizes.mnist_rows, mnist_dir=self.mnist_dir, seed=SEED)
            for text in self._mnist.notes:
                self.note(text)
        return self._mnist

    def _record(self, peer):
        seen = self.results["differences"].setdefault(peer.name, [])
        seen += [d for d in peer.differences if d not in seen]

    def _watch(self, label, measure):
        """Runs measure(), keeping the largest share of the CPUs that other processes used meanwhile
        under `label` (reported when above 10%: such timings are distorted)."""
        monitor = machine.CpuContention().start()
        result = measure()
        share = monitor.other_share()
        if share is not None:
            contention = self.results["contention"]
            contention[label] = max(share, contention.get(label, 0.0))
        return result

    def _add_training(self, workload, framework, measure, per_run, samples, runs, epochs=1):
        """One row: `per_run` seconds (median of `runs`) for `epochs` epochs over `samples` samples."""
        self.results["training"].append({"workload": workload.key, "title": workload.title, "framework": framework,
                                         "measure": measure, "seconds": per_run, "epochs": epochs,
                                         "samples_per_s": samples / per_run, "runs": runs})

    # ---- workloads 1 and 2: seconds per epoch --------------------------------------------------
    def train_epochs(self, workload, epochs):
        """Median seconds per epoch of every framework over `epochs` timed epochs, in up to 5 rounds."""
        self.progress(f"[{workload.key}] {workload.architecture}, batch {workload.batch_size}, {workload.source}")
        models = [peer_class(workload, SEED) for peer_class in self.peer_classes]
        warm = {}
        for p in models:
            warm[p.name] = p.train_epochs(1)[0]
            self.progress(f"  warm-up epoch, {p.name}: {warm[p.name]:.4g} s")
        rounds = min(epochs, 5)
        times = {p.name: [] for p in models}

        def measure():
            for round_ in range(rounds):
                per_turn = epochs // rounds + (1 if round_ < epochs % rounds else 0)
                for p in models:
                    extra = 1 if warm[p.name] < SHORT_EPOCH else 0
                    settle(self.sizes.settle_s)
                    turn = p.train_epochs(extra + per_turn)[extra:]
                    times[p.name] += turn
                    self.progress(f"  round {round_ + 1}/{rounds}, {p.name}: "
                                  + ", ".join(f"{t:.4g}" for t in turn) + " s/epoch")

        self._watch(f"[{workload.key}] training", measure)
        for p in models:
            self._record(p)
            self._add_training(workload, p.name, f"s/epoch, median of {epochs}", median(times[p.name]),
                               workload.rows, times[p.name])
            self.progress(f"  {p.name}: {median(times[p.name]):.4g} s/epoch")

    def run_mnist(self):
        workload = self.mnist()
        self.train_epochs(workload, self.sizes.repeats)
        self.run_gemm(workload)

    def run_digits(self):
        workload = workloads.digits()
        for text in workload.notes:
            self.note(text)
        self.train_epochs(workload, self.sizes.digits_epochs)

    def run_gemm(self, workload):
        """The machine's best float32 GEMM (NumPy's BLAS, PyTorch's, fastmlp's kernel on a large
        square product) beside fastmlp's training FLOP/s at batch 32, 128 and 512, in one run."""
        n = self.sizes.gemm_n
        self.progress(f"[gemm] float32 {n}x{n}x{n} products: NumPy, fastmlp's kernel, PyTorch (if installed)")
        candidates = [("NumPy matmul", gemm.numpy_gemm_flops)]
        if peers.FastmlpPeer in self.peer_classes:
            candidates.append(("fastmlp kernel", gemm.fastmlp_gemm_flops))
        if peers.TorchPeer in self.peer_classes:
            candidates.append(("PyTorch torch.mm", gemm.torch_gemm_flops))
        sgemm = {}
        for name, measure in candidates:
            settle(self.sizes.settle_s)
            sgemm[name] = self._watch(f"[gemm] {name}", lambda: measure(n))
        best = max(sgemm, key=sgemm.get)
        flops = gemm.training_flops(workload.sizes, workload.rows)
        rates = {row["framework"]: flops / row["seconds"] for row in self.results["training"]
                 if row["workload"] == workload.key}
        by_batch = []
        if peers.FastmlpPeer in self.peer_classes:
            subset = workload.subset(min(workload.rows, self.sizes.scaling_rows))
            subset_flops = gemm.training_flops(workload.sizes, subset.rows)
            for batch in GEMM_BATCHES:
                settle(self.sizes.settle_s)
                peer = peers.FastmlpPeer(dataclasses.replace(subset, batch_size=batch), SEED)
                times = self._watch("[gemm] fastmlp epochs", lambda: peer.train_epochs(1 + self.sizes.repeats)[1:])
                rate = subset_flops / median(times)
                by_batch.append({"batch": batch, "framework": "fastmlp", "rows": subset.rows, "seconds": median(times),
                                 "runs": times, "flops_per_s": rate, "of_best": rate / sgemm[best]})
                self.progress(f"  fastmlp, batch {batch}: {median(times):.4g} s/epoch, {rate / 1e9:.1f} GFLOP/s, "
                              f"{rate / sgemm[best]:.0%} of the best sgemm ({best})")
        self.results["gemm"] = {"n": n, "sgemm": sgemm, "best": best, "best_flops": sgemm[best], "epoch_flops": flops,
                                "training_flops": rates, "by_batch": by_batch}

    # ---- workload 3: 1000 epochs of one batch each ---------------------------------------------
    def run_xor(self):
        workload = workloads.xor()
        repeats, epochs = self.sizes.repeats, self.sizes.xor_epochs
        self.progress(f"[xor] {workload.architecture}, batch 4, {epochs} epochs, median of {repeats}")
        runs = [(p.name, p(workload, SEED), "train") for p in self.peer_classes]
        if peers.FastmlpPeer in self.peer_classes:
            runs.insert(1, ("fastmlp (_core.fit, no Python callbacks)", peers.FastmlpPeer(workload, SEED), "train_core"))
        totals = {label: [] for label, _, _ in runs}

        def measure():
            for label, peer, method in runs:
                getattr(peer, method)(10)  # warm-up
            for _ in range(repeats):
                for label, peer, method in runs:
                    settle(self.sizes.settle_s)
                    totals[label].append(self._seconds(lambda: getattr(peer, method)(epochs)))

        self._watch("[xor] training", measure)
        for label, peer, _ in runs:
            self._record(peer)
            self._add_training(workload, label, f"total of {epochs} epochs, median of {repeats}",
                               median(totals[label]), workload.rows * epochs, totals[label], epochs)
            self.progress(f"  {label}: {median(totals[label]) * 1e3:.4g} ms per {epochs} epochs")

    @staticmethod
    def _seconds(fn):
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    # ---- workload 4: inference -----------------------------------------------------------------
    def run_inference(self):
        digits = workloads.digits()
        for workload in (self.mnist(), digits):
            batch = workloads.tiled_rows(workload.x, self.sizes.batch_rows)
            one = workload.x[:1].copy()
            self.progress(f"[inference] {workload.key}: 1-row latency, {len(batch)}-row batch")
            trained_on = workload.subset(min(workload.rows, 256))
            for peer_class in self.peer_classes:
                peer = peer_class(trained_on, SEED)
                peer.train_epochs(1)  # scikit-learn predicts only once fitted
                for call, fn in peer.predictors():
                    def measure():
                        settle(self.sizes.settle_s)
                        single = latency_ns(lambda: fn(one), self.sizes.latency_calls) / 1e9
                        batched = latency_ns(lambda: fn(batch), self.sizes.batch_calls, warmup=1) / 1e9
                        return single, batched

                    single, batched = self._watch(f"[inference] {workload.key}", measure)
                    self.results["inference"].append({"workload": workload.key, "title": workload.title,
                                                      "framework": peer.name, "call": call, "one_row_s": single,
                                                      "batch_rows": len(batch), "batch_s": batched})
                    self.progress(f"  {peer.name} {call}: {single * 1e6:.2f} us/row, "
                                  f"{len(batch) / batched:.4g} rows/s batched")

    # ---- workload 5: thread scaling ------------------------------------------------------------
    def run_threads(self):
        """Seconds per epoch of workload 1 (a subset) and of the digits network at 1..N threads."""
        cpus = os.cpu_count() or 1
        counts = list(range(1, cpus + 1)) if cpus <= 8 else sorted({1, 2, 4, 8, 16, 32, 64, cpus} & set(range(1, cpus + 1)))
        # scikit-learn's only threads are NumPy's BLAS threads: its scaling is NumPy's.
        scaled = [p for p in self.peer_classes if p is not peers.SklearnPeer]
        mnist = self.mnist().subset(self.sizes.scaling_rows)
        digits = workloads.digits()
        # Digits epochs are milliseconds: time enough of them to see past the noise.
        for workload, epochs in ((mnist, self.sizes.repeats), (digits, self.sizes.digits_epochs)):
            self.progress(f"[threads] {workload.architecture} on {workload.rows} rows, threads {counts}")
            for threads in counts:
                for peer_class in scaled:
                    control = peer_class.set_threads(threads)
                    if "NOT controlled" in control:
                        self.note(f"[threads] {peer_class.name}: {control}")
                    settle(self.sizes.settle_s)
                    peer = peer_class(workload, SEED)
                    # Two untimed epochs: fastmlp picks each product's thread count in the first batches.
                    times = self._watch(f"[threads] {threads}", lambda: peer.train_epochs(2 + epochs)[2:])
                    self.results["threads"].append({"workload": workload.key, "title": workload.title,
                                                    "rows": workload.rows, "threads": threads,
                                                    "framework": peer_class.name, "seconds": median(times),
                                                    "runs": times})
                    self.progress(f"  {threads} thread(s), {peer_class.name}: {median(times):.4g} s/epoch")
        for peer_class in scaled:
            peer_class.set_threads(self.threads)

    # ---- workload 7: shared cores --------------------------------------------------------------
    def run_contention(self):
        """Workload 1 (a subset) idle and beside one busy process, each case in a fresh process."""
        import contention

        rows = self.sizes.scaling_rows // 2
        self.progress(f"[contention] workload 1 on {rows} rows, {self.threads} threads, idle and with one busy process")
        times = contention.measure(list(contention.DEFAULT_POLICIES), self.threads, rows, self.sizes.repeats,
                                   self.sizes.contention_rounds, peers.TorchPeer in self.peer_classes,
                                   progress=lambda text: self.progress(text))
        self.results["shared_cores"] = {"threads": self.threads, "rows": rows,
                                        "cases": [{"framework": f, "policy": p, "busy": b, "runs": t}
                                                  for (f, p, b), t in times.items()]}

    # ---- workload 6: memory --------------------------------------------------------------------
    def run_memory(self):
        for peer_class in self.peer_classes:
            self.progress(f"[memory] {peer_class.name}: one epoch of workload 1 on {self.sizes.memory_rows} rows "
                          "in a fresh process")
            self.results["memory"].append(memory.measure(peer_class.name, self.sizes.memory_rows, self.mnist_dir,
                                                         self.threads))

    # ---- is the NumPy peer the same computation? -----------------------------------------------
    def check_equivalence(self):
        import equivalence

        if peers.FastmlpPeer not in self.peer_classes:
            return
        for workload in (workloads.mnist(rows=256, mnist_dir=self.mnist_dir), workloads.digits(), workloads.xor()):
            self.results["equivalence"][workload.key] = equivalence.compare_one_step(workload)

    # ---- numbers derived from the measurements -------------------------------------------------
    def finish(self):
        """Adds each time divided by fastmlp's (same workload; for inference, fastmlp's C++ call)
        and each thread count's speed-up over one thread; returns the results."""
        r = self.results
        fastest = {row["workload"]: row["seconds"] for row in r["training"] if row["framework"] == "fastmlp"}
        for row in r["training"]:
            base = fastest.get(row["workload"])
            row["ratio_to_fastmlp"] = row["seconds"] / base if base else None
        core = {row["workload"]: row for row in r["inference"] if row["framework"] == "fastmlp" and "C++" in row["call"]}
        for row in r["inference"]:
            base = core.get(row["workload"])
            row["one_row_ratio"] = row["one_row_s"] / base["one_row_s"] if base else None
            row["batch_ratio"] = row["batch_s"] / base["batch_s"] if base else None
        one_thread = {(row["workload"], row["framework"]): row["seconds"] for row in r["threads"] if row["threads"] == 1}
        for row in r["threads"]:
            row["speedup"] = one_thread[row["workload"], row["framework"]] / row["seconds"]
            row["efficiency"] = row["speedup"] / row["threads"]
        return r
