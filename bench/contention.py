"""Training under CPU contention: workload 1's epoch while one other busy process shares the cores.

    python bench/contention.py                  # fastmlp's default waiting and two others, idle and contended
    python bench/contention.py --torch          # PyTorch too, with its defaults
    python bench/contention.py --policies default,spin:0,spin:5000 --rows 20000 --repeats 5

fastmlp's worker threads spin for a while when they run out of work, then sleep (parallel.cpp).
"default" is its built-in spin (50 us); "spin:N" sets FASTMLP_SPIN_US=N: spin:0 sleeps at once (as
OMP_WAIT_POLICY=passive does), spin:5000 spins for milliseconds (as libgomp's default does). The
spin is read when the library loads, so every case runs in a fresh process. The competitor is one
Python process spinning on one core. "Ideal" is what an epoch would take if the competitor simply
took its core: fastmlp's idle epoch on one thread fewer. Cases run in rounds, so a slow spell of a
shared machine hits them alike; each time is the median of the round's epochs.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

WAIT_ENV_VARS = ("FASTMLP_SPIN_US", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


def policy_env(name):
    """The environment of a waiting policy named on the command line: "default" (nothing set) or
    "spin:N" (FASTMLP_SPIN_US=N microseconds)."""
    if name == "default":
        return {}
    if name.startswith("spin:") and name[5:].isdigit():
        return {"FASTMLP_SPIN_US": name[5:]}
    raise ValueError(f"unknown waiting policy {name!r}: use default or spin:N (microseconds)")


DEFAULT_POLICIES = ("default", "spin:0", "spin:5000")


def policy_label(name):
    return "default (50 us spin)" if name == "default" else f"{name[5:]} us spin"


def child(framework, threads, rows, epochs):
    """Runs in the fresh process: trains `epochs` timed epochs after one warm-up; prints JSON."""
    sys.path.insert(0, HERE)
    import peers
    import workloads

    peer_class = peers.BY_NAME[framework]
    peer_class.set_threads(threads)
    peer = peer_class(workloads.mnist(rows=rows).subset(rows), 0)
    times = peer.train_epochs(1 + epochs)[1:]
    print(json.dumps({"seconds": statistics.median(times), "runs": times}))


def run_case(framework, threads, rows, epochs, env, busy):
    """Seconds per epoch of one case, in a fresh process, with `busy` competitors spinning meanwhile."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
    try:
        time.sleep(0.2)  # let the competitors reach their loop
        clean = {k: v for k, v in os.environ.items() if k not in WAIT_ENV_VARS}
        out = subprocess.run([sys.executable, __file__, "--child", framework, str(threads), str(rows), str(epochs)],
                             env={**clean, **env}, capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def measure(policies, threads, rows, epochs, rounds, torch, progress=print):
    """{(framework, policy, busy): [seconds per round]}, plus the ideal (threads - 1, idle) case when
    there is a thread to spare."""
    cases = [("fastmlp", name, busy) for name in policies for busy in (0, 1)]
    if threads > 1:
        cases.append(("fastmlp", "ideal", 0))
    if torch:
        cases += [("PyTorch", "default", 0), ("PyTorch", "default", 1)]
    times = {case: [] for case in cases}
    for round_ in range(rounds):
        for case in cases:
            framework, name, busy = case
            env = {} if name == "ideal" else policy_env(name)
            count = threads - 1 if name == "ideal" else threads
            times[case].append(run_case(framework, count, rows, epochs, env, busy))
            progress(f"  round {round_ + 1}/{rounds}: {framework} {name}, {busy} busy process(es), {count} thread(s): "
                     f"{times[case][-1]:.3f} s/epoch")
    return times


def table(times, threads, markdown=False):
    """Rows: each policy idle and contended, with the ratios that the issue's targets are about."""
    from report import format_table

    med = {case: statistics.median(values) for case, values in times.items()}
    idle_default = med.get(("fastmlp", "default", 0))
    ideal = med.get(("fastmlp", "ideal", 0))
    rows = []
    for (framework, name, busy), seconds in med.items():
        if name == "ideal" or busy:
            continue
        contended = med.get((framework, name, 1))
        base = med.get((framework, "default", 0))
        rows.append([framework, policy_label(name) if framework == "fastmlp" else "its default", f"{seconds:.3f}", f"{seconds / base:.2f}x" if base else "n/a",
                     f"{contended:.3f}" if contended else "n/a",
                     f"{contended / seconds:.2f}x" if contended else "n/a",
                     f"{contended / ideal:.2f}x" if contended and ideal and framework == "fastmlp" else "n/a"])
    out = format_table(["Framework", "Idle threads wait by", "Idle s/epoch", "Idle / default idle", "1 busy process s/epoch",
                        "Busy / idle", "Busy / ideal"], rows, markdown, right={2, 3, 4, 5, 6})
    if ideal and idle_default:
        out += (f"\n\nIdeal: fastmlp's idle epoch on {threads - 1} thread(s) (the competitor takes one core): "
                f"{ideal:.3f} s/epoch.")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policies", default=",".join(DEFAULT_POLICIES),
                        help="comma-separated: default, spin:N (FASTMLP_SPIN_US=N microseconds)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rows", type=int, default=10_000, help="rows of workload 1 per epoch")
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs per case and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--torch", action="store_true", help="also PyTorch (its defaults), idle and contended")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    policies = [p.strip() for p in args.policies.split(",")]
    for name in policies:
        policy_env(name)  # fail early on a typo
    times = measure(policies, args.threads, args.rows, args.repeats, args.rounds, args.torch,
                    progress=lambda text: print(text, file=sys.stderr, flush=True))
    print(table(times, args.threads, args.markdown))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        sys.path.insert(0, HERE)
        sys.exit(main())
