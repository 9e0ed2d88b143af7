"""Serving one imported Keras model: predict latency (one row) and throughput (many rows) of the same
.keras file in fastmlp from Python, fastmlp from C++ (the predict_csv example), Keras (when installed)
and ONNX Runtime on fastmlp's ONNX export, in one run, with every figure's ratio to fastmlp's.

    python bench/imported_model.py [--predict-csv build/cpp/examples/predict_csv] [--rows 10000]

The model is MNIST-shaped, 784-512-512-10 (ReLU, ReLU, softmax) with a Dropout, built and saved by
Keras 3 when Keras is installed (KERAS_BACKEND=torch by default); without Keras, fastmlp writes the
same architecture as a .keras file, and the line says so. predict_csv predicts one CSV line at a time,
so its figures include parsing and printing the text: they are what serving through it costs, not
the bare product. Latency is the median of single-row calls; throughput is rows per second of one
call on --rows rows. predict_csv's are both from 2000 lines through the process, one row per predict
(its latency is the time per line and its throughput the lines per second), its start-up and model
loading (an empty input's run) subtracted.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from timing import format_duration, format_rate, latency_ns, median, settle  # noqa: E402

SIZES = (784, 512, 512, 10)


def keras_module():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import keras
        return keras
    except ImportError:
        return None


def write_model(path, keras):
    """Writes the .keras file; returns who wrote it."""
    if keras is not None:
        keras.utils.set_random_seed(0)
        layers = keras.layers
        model = keras.Sequential([keras.Input((SIZES[0],)), layers.Dense(SIZES[1], activation="relu"),
                                  layers.Dropout(0.2), layers.Dense(SIZES[2], activation="relu"),
                                  layers.Dense(SIZES[3], activation="softmax")], name="mnist_mlp")
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        model.save(path)
        return f"Keras {keras.__version__} ({keras.backend.backend()})"
    import fastmlp as fm
    fm.utils.set_random_seed(0)
    layers = fm.layers
    model = fm.Sequential([fm.Input((SIZES[0],)), layers.Dense(SIZES[1], activation="relu"), layers.Dropout(0.2),
                           layers.Dense(SIZES[2], activation="relu"), layers.Dense(SIZES[3], activation="softmax")],
                          name="mnist_mlp")
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.save(path)
    return "fastmlp (Keras is not installed)"


def throughput(fn, rows, repeats=5):
    fn()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return rows / median(seconds)


def csv_text(x):
    return "".join(",".join(f"{v:.9g}" for v in row) + "\n" for row in x)


def time_predict_csv(binary, model_path, x, repeats=5):
    """(seconds per row, rows per second) of predict_csv on the rows of ``x``, which it predicts one line,
    so one row, at a time: the process's start-up and model loading (an empty input's run) subtracted."""
    def run(text):
        start = time.perf_counter()
        done = subprocess.run([binary, model_path], input=text, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"predict_csv failed: {done.stderr}")
        return elapsed
    empty = median([run("") for _ in range(repeats)])
    text = csv_text(x)
    per_row = (median([run(text) for _ in range(repeats)]) - empty) / len(x)
    return per_row, 1.0 / per_row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--predict-csv", default=os.environ.get("FASTMLP_PREDICT_CSV"),
                        help="the built predict_csv example (default: $FASTMLP_PREDICT_CSV)")
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=300, help="single-row calls per latency figure")
    args = parser.parse_args()

    import fastmlp as fm
    keras = keras_module()
    rng = np.random.default_rng(0)
    x_many = rng.random((args.rows, SIZES[0]), dtype=np.float32)
    x_one = x_many[:1]
    results = {}  # name -> (latency seconds, rows per second)
    with tempfile.TemporaryDirectory() as directory:
        keras_path = os.path.join(directory, "mnist_mlp.keras")
        writer = write_model(keras_path, keras)
        model = fm.models.load_model(keras_path)
        results["fastmlp (Python)"] = (latency_ns(lambda: model.predict(x_one, verbose=0), args.repeats) * 1e-9,
                                       throughput(lambda: model.predict(x_many, verbose=0), args.rows))
        settle(1.0)

        fmlp_path = os.path.join(directory, "mnist_mlp.fmlp")
        model.save(fmlp_path)
        if args.predict_csv:
            results["fastmlp (C++ predict_csv)"] = time_predict_csv(args.predict_csv, fmlp_path, x_many[:2000])
            settle(1.0)

        if keras is not None:
            theirs = keras.saving.load_model(keras_path, compile=False)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results["Keras predict_on_batch"] = (
                    latency_ns(lambda: theirs.predict_on_batch(x_one), max(args.repeats // 3, 20)) * 1e-9,
                    throughput(lambda: theirs.predict(x_many, batch_size=args.rows, verbose=0), args.rows))
            settle(1.0)

        try:
            import onnxruntime
        except ImportError:
            onnxruntime = None
        if onnxruntime is not None:
            onnx_path = os.path.join(directory, "mnist_mlp.onnx")
            model.export(onnx_path, format="onnx")
            session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
            name = session.get_inputs()[0].name
            results["ONNX Runtime"] = (latency_ns(lambda: session.run(None, {name: x_one}), args.repeats) * 1e-9,
                                       throughput(lambda: session.run(None, {name: x_many}), args.rows))

    print(f"model {'-'.join(map(str, SIZES))} written by {writer}; {args.rows} rows for throughput; "
          f"{os.cpu_count()} cores")
    base_latency, base_rate = results["fastmlp (Python)"]
    print(f"{'':28s} {'latency (1 row)':>16s} {'x fastmlp':>10s} {'throughput':>14s} {'x fastmlp':>10s}")
    for name, (latency, rate) in results.items():
        print(f"{name:28s} {format_duration(latency):>16s} {latency / base_latency:>10.2f} "
              f"{format_rate(rate) + ' rows/s':>14s} {rate / base_rate:>10.2f}")
    if not args.predict_csv:
        print("(C++: pass --predict-csv or set FASTMLP_PREDICT_CSV to time the predict_csv example)")


if __name__ == "__main__":
    main()
