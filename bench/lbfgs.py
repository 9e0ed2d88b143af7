"""solver="lbfgs": fastmlp.sklearn's full-batch L-BFGS (C++, fastmlp/lbfgs.hpp) against scikit-learn's (SciPy's
L-BFGS-B over NumPy forward and backward passes), from the same initial weights, on the digits data
(1797 x 64, 10 classes, float64 as scikit-learn trains it) with one hidden layer.

    python bench/lbfgs.py [--hidden 50] [--max-iter 200] [--threads 2]

One run of each (this is a comparison, not a timing study: rerun to see the spread). Both start from the
weights scikit-learn draws for random_state=0 (fastmlp's estimator converted from scikit-learn's after
max_iter=1 would already have trained, so the weights are drawn by a 0-iteration-like warm start: fitted
for one iteration by scikit-learn, then both continue from those weights with warm_start). Prints each
one's seconds, iterations, loss evaluations and final loss, and fastmlp's ratios to scikit-learn.
"""

import argparse
import sys
import time
import warnings

import numpy as np


def main(arguments=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=50)
    parser.add_argument("--max-iter", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    options = parser.parse_args(arguments)

    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier as SklearnMLP

    import fastmlp as fm
    from fastmlp.sklearn import MLPClassifier

    fm.set_num_threads(options.threads)
    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    params = dict(solver="lbfgs", hidden_layer_sizes=(options.hidden,), random_state=0, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = SklearnMLP(**params, max_iter=1).fit(x, y)  # the common starting weights
        theirs = SklearnMLP(**params, max_iter=1).fit(x, y)
        ours = MLPClassifier.from_sklearn(start)
        rows = []
        for name, estimator in (("scikit-learn", theirs), ("fastmlp", ours)):
            estimator.set_params(max_iter=options.max_iter)
            began = time.perf_counter()
            estimator.fit(x, y)
            seconds = time.perf_counter() - began
            rows.append((name, seconds, estimator.n_iter_, estimator.loss_, estimator.score(x, y)))
    print(f"digits 1797x64 -> {options.hidden} -> 10, lbfgs, max_iter={options.max_iter}, float64, "
          f"{options.threads} threads")
    print("| solver | seconds | iterations | final loss | train accuracy |")
    print("|---|---|---|---|---|")
    for name, seconds, iterations, loss, accuracy in rows:
        print(f"| {name} | {seconds:.3f} | {iterations} | {loss:.6f} | {accuracy:.4f} |")
    (_, sk_seconds, _, sk_loss, _), (_, fm_seconds, _, fm_loss, _) = rows
    print(f"fastmlp / scikit-learn: time {fm_seconds / sk_seconds:.2f}x, final loss {fm_loss / sk_loss:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
