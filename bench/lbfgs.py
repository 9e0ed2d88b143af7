"""solver="lbfgs": fastmlp.sklearn's full-batch L-BFGS (C++, fastmlp/lbfgs.hpp) against scikit-learn's (SciPy's
L-BFGS-B over NumPy forward and backward passes), from the same initial weights, on the digits data
(1797 x 64, 10 classes, in float64 as scikit-learn trains it) with one hidden layer.

    python bench/lbfgs.py [--hidden 50] [--max-iter 200] [--alpha 1e-4] [--threads 2]

The common start: scikit-learn's estimator fitted for one iteration (random_state=0); a copy of it and
fastmlp's estimator converted from it (MLPClassifier.from_sklearn) then fit on with warm_start. BLAS
(scikit-learn's products) and fastmlp get the same thread count. One run of each: rerun to see the spread.
Prints each one's seconds, iterations, final loss and training accuracy, and fastmlp's ratios to
scikit-learn's time and final loss.
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
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=2)
    options = parser.parse_args(arguments)

    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier as SklearnMLP
    from threadpoolctl import threadpool_limits

    import fastmlp as fm
    from fastmlp.sklearn import MLPClassifier

    fm.set_num_threads(options.threads)
    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    params = dict(solver="lbfgs", hidden_layer_sizes=(options.hidden,), alpha=options.alpha, random_state=0,
                  warm_start=True)
    with warnings.catch_warnings(), threadpool_limits(options.threads):
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
    print(f"digits 1797x64 -> {options.hidden} -> 10, lbfgs, max_iter={options.max_iter}, alpha={options.alpha}, "
          f"float64, {options.threads} threads")
    print("| solver | seconds | iterations | final loss | train accuracy |")
    print("|---|---|---|---|---|")
    for name, seconds, iterations, loss, accuracy in rows:
        print(f"| {name} | {seconds:.3f} | {iterations} | {loss:.6f} | {accuracy:.4f} |")
    (_, sk_seconds, _, sk_loss, _), (_, fm_seconds, _, fm_loss, _) = rows
    print(f"fastmlp / scikit-learn: time {fm_seconds / sk_seconds:.2f}x, final loss {fm_loss / sk_loss:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
