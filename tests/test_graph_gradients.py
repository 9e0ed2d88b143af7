"""The model graph's gradients on random DAGs (hypothesis): inputs, Dense layers (some called twice,
sharing weights), every merge layer, Softmax and Normalization layers, a tensor read by several calls,
one or two outputs. fastmlp's
backward pass (a train_on_batch with learning rate 0, which leaves each layer's gradients) is compared
with central differences of a float64 NumPy transcription of the same graph and weights."""

import numpy as np
from hypothesis import given, settings, strategies as st

import fastmlp as fm

L = fm.layers
ACTIVATIONS = {"tanh": np.tanh, "linear": lambda z: z, "sigmoid": lambda z: 1 / (1 + np.exp(-z))}
MERGES = {"Add": lambda xs: sum(xs), "Subtract": lambda xs: xs[0] - xs[1], "Multiply": lambda xs: np.prod(xs, axis=0),
          "Average": lambda xs: sum(xs) / len(xs), "Maximum": lambda xs: np.max(xs, axis=0),
          "Minimum": lambda xs: np.min(xs, axis=0), "Concatenate": lambda xs: np.concatenate(xs, axis=1)}
# Layers of one input and no weights, with fixed options, and their float64 transcriptions.
NORMALIZATION = {"mean": 0.5, "variance": 4.0}
UNARY = {"Softmax": lambda z: np.exp(z - z.max(1, keepdims=True)) / np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True),
         "Normalization": lambda z: (z - NORMALIZATION["mean"]) / np.sqrt(NORMALIZATION["variance"])}


@st.composite
def graphs(draw):
    """A random DAG as steps: ("dense", layer id, source, units, activation), ("merge", kind, sources)."""
    widths = [draw(st.sampled_from([2, 3])) for _ in range(draw(st.integers(1, 2)))]
    inputs = len(widths)
    steps, denses = [], {}  # dense layer id -> (input width, units)
    for index in range(draw(st.integers(3, 7))):
        kind = "dense" if index == 0 else draw(st.sampled_from(["dense", "dense", "shared", *MERGES, *UNARY]))
        if kind == "shared":
            usable = [(layer, t) for layer, (width, _) in denses.items() for t, w in enumerate(widths) if w == width]
            if not usable:
                continue
            layer, source = draw(st.sampled_from(usable))
            steps.append(("dense", layer, source, denses[layer][1], None))
            widths.append(denses[layer][1])
        elif kind in UNARY:
            source = draw(st.integers(0, len(widths) - 1))
            steps.append(("unary", kind, source))
            widths.append(widths[source])
        elif kind == "dense":
            source = 0 if index == 0 else draw(st.integers(0, len(widths) - 1))
            units, activation = draw(st.sampled_from([2, 3])), draw(st.sampled_from(sorted(ACTIVATIONS)))
            layer = len(denses)
            denses[layer] = (widths[source], units)
            steps.append(("dense", layer, source, units, activation))
            widths.append(units)
        else:
            first = draw(st.integers(0, len(widths) - 1))
            same = [t for t, w in enumerate(widths) if w == widths[first] or kind == "Concatenate"]
            count = 2 if kind == "Subtract" else draw(st.integers(2, 3))
            sources = [first] + [draw(st.sampled_from(same)) for _ in range(count - 1)]
            steps.append(("merge", kind, sources))
            widths.append(sum(widths[s] for s in sources) if kind == "Concatenate" else widths[first])
    outputs = [len(widths) - 1]
    extra = draw(st.integers(inputs, len(widths) - 1)) if len(widths) - 1 > inputs else None
    if extra is not None and extra not in outputs and draw(st.booleans()):
        outputs.append(extra)
    return widths[:inputs], steps, [o for o in outputs if o >= inputs]


def build(input_widths, steps, outputs):
    tensors = [fm.Input((w,)) for w in input_widths]
    layers = {}
    for step in steps:
        if step[0] == "dense":
            _, layer_id, source, units, activation = step
            if layer_id not in layers:
                layers[layer_id] = L.Dense(units, activation=activation)
            tensors.append(layers[layer_id](tensors[source]))
        elif step[0] == "unary":
            _, kind, source = step
            layer = L.Normalization(**NORMALIZATION) if kind == "Normalization" else getattr(L, kind)()
            tensors.append(layer(tensors[source]))
        else:
            _, kind, sources = step
            tensors.append(getattr(L, kind)()([tensors[s] for s in sources]))
    return fm.Model(tensors[:len(input_widths)], [tensors[o] for o in outputs]), layers


def reference_loss(input_values, steps, outputs, weights, activations, targets):
    """Σ over outputs of the mean squared error, in float64."""
    values = list(input_values)
    for step in steps:
        if step[0] == "dense":
            _, layer_id, source, _, _ = step
            kernel, bias = weights[layer_id]
            values.append(ACTIVATIONS[activations[layer_id]](values[source] @ kernel + bias))
        elif step[0] == "unary":
            values.append(UNARY[step[1]](values[step[2]]))
        else:
            _, kind, sources = step
            values.append(MERGES[kind]([values[s] for s in sources]))
    return sum(np.mean((values[o] - t) ** 2) for o, t in zip(outputs, targets))


@settings(max_examples=40, deadline=None)
@given(graph=graphs(), seed=st.integers(0, 2**16))
def test_graph_gradients_match_central_differences(graph, seed):
    input_widths, steps, outputs = graph
    if not outputs:
        return
    fm.utils.set_random_seed(seed)
    model, layers = build(input_widths, steps, outputs)
    rng = np.random.default_rng(seed)
    x = [rng.normal(size=(5, w)).astype(np.float32) for w in input_widths]
    predicted = model.predict(x, verbose=0)
    predicted = predicted if isinstance(predicted, list) else [predicted]
    targets = [rng.normal(size=p.shape).astype(np.float32) for p in predicted]
    model.compile(optimizer=fm.optimizers.SGD(learning_rate=0.0), loss="mse")
    model.train_on_batch(x, targets)

    activations = {layer_id: step[4] for step in steps if step[0] == "dense" and step[4] is not None
                   for layer_id in [step[1]]}
    weights = {layer_id: [w.astype(np.float64) for w in layer.get_weights()] for layer_id, layer in layers.items()}
    xs = [a.astype(np.float64) for a in x]
    worst = 0.0
    for layer_id, layer in layers.items():
        analytic = [np.array(view, np.float64) for _, view in layer._core.gradients]
        for array, gradient in zip(weights[layer_id], analytic):
            flat, expected = array.reshape(-1), gradient.reshape(-1)
            for i in range(flat.size):
                saved = flat[i]
                flat[i] = saved + 1e-6
                up = reference_loss(xs, steps, outputs, weights, activations, targets)
                flat[i] = saved - 1e-6
                down = reference_loss(xs, steps, outputs, weights, activations, targets)
                flat[i] = saved
                numeric = (up - down) / 2e-6
                worst = max(worst, abs(numeric - expected[i]) / max(1.0, abs(numeric)))
                assert abs(numeric - expected[i]) <= 1e-3 * max(1.0, abs(numeric)), (layer.name, i, numeric, expected[i])
    kinds = sorted({step[1] for step in steps if step[0] in ("merge", "unary")})
    print(f"{len(steps)} steps, {len(layers)} Dense layers, with {kinds}: worst relative error {worst:.1e}")
