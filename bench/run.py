"""Benchmark fastmlp against plain NumPy, scikit-learn and PyTorch: same networks, same data, one run.

    python bench/run.py                       # everything (several minutes on 2 cores)
    python bench/run.py --quick               # tiny sizes: a smoke test of the script itself
    python bench/run.py --workloads 1,4 --threads 4 --repeats 7 --markdown --json results.json

Workloads: 1 MNIST-shaped 784-512-512-10 (relu, softmax, batch 128, 60,000 rows) with GEMM
efficiency; 2 digits 64-50-10 (sigmoid, softmax, batch 32); 3 XOR 2-3-1 (batch 4, 1000 epochs);
4 inference latency and throughput (networks 1 and 2); 5 thread scaling of workloads 1 and 2; 6 peak
memory of fitting workload 1; 7 workload 1 on shared cores (one other busy process). The report goes
to stdout, progress to stderr.
"""

import argparse
import json
import os
import sys

import blas_threads

WORKLOADS = {"1": "mnist", "2": "digits", "3": "xor", "4": "inference", "5": "threads", "6": "memory",
             "7": "contention"}
PEERS = {"fastmlp": "fastmlp", "numpy": "NumPy", "sklearn": "scikit-learn", "scikit-learn": "scikit-learn",
         "torch": "PyTorch", "pytorch": "PyTorch"}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test (timings meaningless)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help="comma-separated workloads to run, by number or name: "
                             + ", ".join(f"{k} {v}" for k, v in WORKLOADS.items()) + " (default: all)")
    parser.add_argument("--threads", type=int, default=0,
                        help="threads for every framework (default: fastmlp's default, OMP_NUM_THREADS or all cores)")
    parser.add_argument("--repeats", type=int, default=0,
                        help="timed epochs of workloads 1 and 5 and timed 1000-epoch runs of workload 3 "
                             "(default 5, --quick 2); workload 2 times 10x as many of its short epochs")
    parser.add_argument("--peers", default="fastmlp,numpy,sklearn,torch",
                        help="comma-separated frameworks: fastmlp, numpy, sklearn, torch (default: all)")
    parser.add_argument("--mnist-dir", default=None,
                        help="directory with MNIST's t10k IDX files (default: ../shared/data/mnist beside the repo)")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    parser.add_argument("--json", metavar="PATH", help="also write every number measured to PATH as JSON")
    args = parser.parse_args(argv)
    names = {v: v for v in WORKLOADS.values()}
    try:
        chosen = {names.get(w.strip().lower()) or WORKLOADS[w.strip()] for w in args.workloads.split(",")}
        args.peers = [PEERS[p.strip().lower()] for p in args.peers.split(",")]
    except KeyError as error:
        parser.error(f"unknown workload or framework {error}; see --help")
    args.workloads = [w for w in WORKLOADS.values() if w in chosen]
    if args.threads < 0 or args.repeats < 0:
        parser.error("--threads and --repeats must be positive")
    return args


def progress(text):
    print(text, file=sys.stderr, flush=True)


def main(argv=None):
    args = parse_args(argv)
    blas_note = blas_threads.preset_environment(args.threads)  # must precede NumPy's import
    import machine
    import peers
    import report
    import suite
    import targets
    import workloads

    contention = machine.CpuContention().start()
    available = []
    notes = [blas_note] if blas_note else []
    for name in args.peers:
        reason = peers.BY_NAME[name].available()
        if reason:
            notes.append(f"{name} skipped: {reason}")
            progress(f"note: {notes[-1]}")
        else:
            available.append(peers.BY_NAME[name])
    if peers.FastmlpPeer in available:
        import fastmlp

        threads = args.threads or fastmlp.get_num_threads()
    else:
        threads = args.threads or os.cpu_count() or 1
        notes.append("fastmlp was not run: every ratio to fastmlp is n/a")
    run = suite.Suite(available, threads, suite.Sizes.make(args.quick, args.repeats),
                      args.mnist_dir or workloads.DEFAULT_MNIST_DIR, progress)
    run.results["notes"] += notes
    machine_lines = machine.describe(threads, run.thread_controls)
    run.check_equivalence()
    for name in args.workloads:
        getattr(run, f"run_{name}")()
    results = run.finish()
    checked = targets.evaluate(results)
    print(report.render(results, machine_lines, checked, contention.other_share(), args.markdown))
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"machine": machine_lines, "quick": args.quick, "threads": threads, **results,
                       "targets": checked}, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
