"""Trains the classic 64-50-10 network on scikit-learn's handwritten digits: ``python -m fastmlp.demo``."""

import argparse
import time

import numpy as np

import fastmlp as fm


def load_digits_split(seed, test_fraction=0.25):
    try:
        from sklearn.datasets import load_digits
    except ImportError:  # pragma: no cover - the demo's one dependency beyond NumPy
        raise SystemExit("the demo uses scikit-learn's digits data: pip install scikit-learn") from None
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(x))
    split = int(len(x) * (1 - test_fraction))
    train, test = order[:split], order[split:]
    return x[train], digits.target[train], x[test], digits.target[test]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    fm.utils.set_random_seed(args.seed)
    x_train, y_train, x_test, y_test = load_digits_split(args.seed)
    model = fm.Sequential([fm.layers.Input((64,)),
                           fm.layers.Dense(50, activation="sigmoid"),
                           fm.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.summary()

    start = time.perf_counter()
    model.fit(x_train, fm.utils.to_categorical(y_train, 10), batch_size=32, epochs=args.epochs,
              validation_split=0.1)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, fm.utils.to_categorical(y_test, 10), verbose=0)
    print(f"held-out accuracy: {accuracy:.4f} (loss {loss:.4f}) on {len(x_test)} digits")
    print(f"training time: {seconds:.3f} s for {args.epochs} epochs on {len(x_train)} samples "
          f"({fm.get_num_threads()} threads)")
    return accuracy


if __name__ == "__main__":
    main()
