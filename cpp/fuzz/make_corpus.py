"""Writes the seed corpus of the fuzz targets from real model files saved by fastmlp (every layer
type, optimizers with and without state, a schedule, losses and metrics, generator states, names
that need escapes, a float64 model): OUTPUT_DIR/json/ holds their JSON headers and a few hand-written documents for
the corners of the grammar (for fuzz_json), OUTPUT_DIR/model/ the whole files (for a target that
reads model files).

    python cpp/fuzz/make_corpus.py OUTPUT_DIR

Needs an installed fastmlp (the models are saved by the library under test). Deterministic: the
same fastmlp writes the same files."""

import os
import struct
import sys
import tempfile

import numpy as np

import fastmlp as fm

HANDWRITTEN = [
    b'{}', b'[]', b'""', b'0', b'-0.0e+0', b'1E400', b'-12.5e-3', b'true', b'false', b'null',
    b'{"a": [1, 2, {"b": null}], "c": "d"}',
    b'"\\u00e9\\ud83d\\ude00 \\" \\\\ \\/ \\b\\f\\n\\r\\t"',
    b'"caf\xc3\xa9"', b'[1, 2,]', b'{"a": 1, "a": 2}', b'[' * 70 + b']' * 70,
    b'{"tensors": [{"name": "layers/0/kernel", "dtype": "float32", "shape": [2, 3], "offset": 0}]}',
]


def models():
    """Models whose headers cover what a header can hold."""
    fm.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(32, 6)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)

    plain = fm.Sequential([fm.layers.Input((6,)), fm.layers.Dense(4, activation="relu"), fm.layers.Dense(1)])
    plain.compile(optimizer="sgd", loss="mse")
    yield "dense_sgd_mse", plain, (x, y)

    every = fm.Sequential([
        fm.layers.Input((2, 3)), fm.layers.Flatten(),
        fm.layers.Dense(8, activation="gelu", kernel_regularizer=fm.regularizers.L1L2(0.01, 0.02),
                        activity_regularizer=fm.regularizers.L2(1e-4), name="caf\u00e9 \"quoted\" \\ layer"),
        fm.layers.BatchNormalization(momentum=0.9), fm.layers.Dropout(0.25, seed=3), fm.layers.GaussianNoise(0.1),
        fm.layers.PReLU(), fm.layers.Activation("softplus"), fm.layers.Dense(3, activation="softmax")],
        name="every layer \U0001F600")
    schedule = fm.optimizers.schedules.ExponentialDecay(0.01, decay_steps=10, decay_rate=0.9)
    every.compile(optimizer=fm.optimizers.Adam(learning_rate=schedule, amsgrad=True, clipnorm=1.0),
                  loss=fm.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    yield "every_layer_adam_schedule", every, (x.reshape(32, 2, 3), (y[:, 0] * 2).astype(np.float32))

    # A functional model: two inputs, a merge, a shared layer, a nested model and two outputs.
    a, b = fm.layers.Input((6,), name="a"), fm.layers.Input((6,), name="b")
    shared = fm.layers.Dense(4, activation="tanh")
    merged = fm.layers.Concatenate()([shared(a), shared(b)])
    inner = fm.Sequential([fm.layers.Input((8,)), fm.layers.Dense(3), fm.layers.Dropout(0.1, seed=1)])
    graph = fm.Model([a, b], [fm.layers.Dense(1, name="score")(inner(merged)),
                              fm.layers.Dense(2, activation="softmax", name="kind")(fm.layers.Add()([merged, merged]))])
    graph.compile(optimizer="adam", loss=["mse", "sparse_categorical_crossentropy"], metrics=[[], ["accuracy"]])
    yield "functional_two_outputs", graph, ([x, -x], [y, y[:, 0]])

    # A float64 model: the header's dtype and 8-byte tensors.
    double = fm.Sequential([fm.layers.Input((6,), dtype="float64"),
                            fm.layers.Dense(4, activation="elu", dtype="float64"), fm.layers.Dense(1, dtype="float64")])
    double.compile(optimizer="adam", loss="mse")
    yield "float64_adam", double, (x.astype(np.float64), y.astype(np.float64))

    for name in ("rmsprop", "adagrad", "adadelta", "adamax", "nadam", "adamw"):
        model = fm.Sequential([fm.layers.Input((6,)), fm.layers.Dense(2, activation="sigmoid")])
        model.compile(optimizer=name, loss="binary_crossentropy", metrics=["auc", "precision"])
        yield f"dense_{name}", model, (x, np.hstack([y, 1 - y]))


def main(output):
    directory, files = os.path.join(output, "json"), os.path.join(output, "model")
    os.makedirs(directory, exist_ok=True)
    os.makedirs(files, exist_ok=True)
    for index, document in enumerate(HANDWRITTEN):
        with open(os.path.join(directory, f"handwritten_{index:02d}.json"), "wb") as file:
            file.write(document)
    with tempfile.TemporaryDirectory() as scratch:
        for name, model, (x, y) in models():
            for trained in (False, True):
                if trained:
                    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
                path = os.path.join(scratch, "model.fastmlp")
                model.save(path)
                with open(path, "rb") as file:
                    data = file.read()
                (length,) = struct.unpack_from("<I", data, 12)
                stem = f"{name}_{'trained' if trained else 'new'}"
                with open(os.path.join(directory, stem + ".json"), "wb") as file:
                    file.write(data[16:16 + length].rstrip(b" "))
                with open(os.path.join(files, stem + ".fastmlp"), "wb") as file:
                    file.write(data)
    print(f"seed corpus: {len(os.listdir(directory))} files in {directory}, {len(os.listdir(files))} in {files}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
