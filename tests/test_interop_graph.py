"""The model graph itself: structural checks, Keras's layer order, the activation and layer catalogues,
shape inference and the optimizer's variable names."""

import numpy as np
import pytest

from fastmlp._interop import activations, layer_catalog, optimizer_variables, shapes
from fastmlp._interop.errors import UnsupportedLayerError
from fastmlp._interop.graph import LayerNode, ModelGraph, TensorRef, sequential


def _input(name="x", width=3):
    return LayerNode("InputLayer", layer_catalog.make_config("InputLayer", name, batch_shape=[None, width]))


def _dense(name, source, units=2, inputs=3):
    return LayerNode("Dense", layer_catalog.make_config("Dense", name, units=units), [TensorRef(source)],
                     {"kernel": np.zeros((inputs, units), np.float32), "bias": np.zeros(units, np.float32)})


def test_validate_names_what_is_wrong():
    cases = [
        (ModelGraph([_input(), _dense("d", "x"), _dense("d", "x")], [TensorRef("x")], [TensorRef("d")]),
         "two layers are named 'd'"),
        (ModelGraph([_dense("d", "x"), _input()], [TensorRef("x")], [TensorRef("d")]), "not an earlier layer"),
        (ModelGraph([_input(), _dense("d", "x")], [TensorRef("d")], [TensorRef("d")]), "is not an InputLayer"),
        (ModelGraph([_input(), _dense("d", "x")], [TensorRef("x")], [TensorRef("e")]), "'e' is not a layer"),
        (ModelGraph([_input()], [TensorRef("x")], [TensorRef("x")], output_keys=["a", "b"]), "2 output keys"),
        (ModelGraph([_input(), _dense("d", "x")], [TensorRef("x")], [TensorRef("d")], kind="Subclassed"), "kind"),
    ]
    for graph, message in cases:
        with pytest.raises(ValueError, match=message):
            graph.validate()


def test_keras_order_sorts_by_depth_then_first_visit():
    # x -> a -> c -> out ; x -> b -> out: Keras lists x, a, then b and c (depth 1; c was reached first).
    nodes = [_input(), _dense("a", "x", 3), _dense("b", "x", 3), _dense("c", "a", 3, 3),
             LayerNode("Add", layer_catalog.make_config("Add", "out"), [TensorRef("c"), TensorRef("b")])]
    graph = ModelGraph(nodes, [TensorRef("x")], [TensorRef("out")]).validate()
    assert [n.name for n in graph.keras_order()] == ["x", "a", "c", "b", "out"]
    assert graph.trainable_weights() == [("a", "kernel"), ("a", "bias"), ("c", "kernel"), ("c", "bias"),
                                         ("b", "kernel"), ("b", "bias")]
    graph.layer("c").config["trainable"] = False  # a frozen layer has no optimizer slots
    assert ("c", "kernel") not in graph.trainable_weights()


def test_unused_input_still_belongs_to_the_model():
    graph = ModelGraph([_input("x"), _input("unused"), _dense("d", "x")], [TensorRef("x"), TensorRef("unused")],
                       [TensorRef("d")]).validate()
    # Keras gives it depth 0 and places it before the other depth-0 layers.
    assert [n.name for n in graph.keras_order()] == ["x", "unused", "d"]


def test_sequential_builder_chains_layers():
    graph = sequential([("InputLayer", layer_catalog.make_config("InputLayer", "in", batch_shape=[None, 3]), {}),
                        ("Dense", layer_catalog.make_config("Dense", "d", units=2), {})])
    assert graph.layers[1].inbound == [TensorRef("in")] and graph.kind == "Sequential"


def test_make_config_fills_keras_defaults_and_rejects_typos():
    config = layer_catalog.make_config("BatchNormalization", "bn")
    assert (config["momentum"], config["epsilon"], config["axis"]) == (0.99, 0.001, -1)
    assert layer_catalog.make_config("LeakyReLU", "l")["negative_slope"] == 0.3  # the layer's default, not 0.2
    with pytest.raises(TypeError, match="no config key"):
        layer_catalog.make_config("Dense", "d", units=2, unit=3)
    with pytest.raises(TypeError, match="needs 'units'"):
        layer_catalog.make_config("Dense", "d")
    with pytest.raises(UnsupportedLayerError, match="'Conv2D'"):
        layer_catalog.make_config("Conv2D", "c")


def test_weight_names_follow_the_config():
    assert layer_catalog.weight_names("Dense", {"use_bias": False}) == ["kernel"]
    assert layer_catalog.weight_names("BatchNormalization", {"center": False}) == ["gamma", "moving_mean",
                                                                                   "moving_variance"]
    assert layer_catalog.weight_names("LayerNormalization", {"rms_scaling": True, "scale": False}) == ["gamma"]
    assert layer_catalog.weight_names("Normalization", {"mean": [0.0], "variance": [1.0]}) == []
    assert layer_catalog.trainable_weight_names("BatchNormalization", {}) == ["gamma", "beta"]


def test_activation_forms():
    assert activations.parse_activation(None) == ("linear", {})
    assert activations.parse_activation("swish") == ("silu", {})
    assert activations.parse_activation({"class_name": "function", "config": "relu"})[0] == "relu"
    assert activations.parse_activation({"class_name": "elu", "config": {"alpha": 0.5}}) == ("elu", {"alpha": 0.5})
    assert activations.format_activation("elu", {"alpha": 1.0}) == "elu"
    assert activations.format_activation("elu", {"alpha": 0.5}) == {"class_name": "elu", "config": {"alpha": 0.5}}
    with pytest.raises(UnsupportedLayerError, match="'cube'"):
        activations.parse_activation("cube")
    with pytest.raises(UnsupportedLayerError, match="no parameter"):
        activations.parse_activation({"class_name": "relu", "config": {"slope": 1}})


def test_shape_inference_and_its_errors():
    graph = sequential([("InputLayer", layer_catalog.make_config("InputLayer", "x", batch_shape=[None, 4, 2]), {}),
                        ("Flatten", layer_catalog.make_config("Flatten", "f"), {}),
                        ("Dense", layer_catalog.make_config("Dense", "d", units=6, activation="glu"), {})])
    assert shapes.infer_shapes(graph) == {"x": (None, 4, 2), "f": (None, 8), "d": (None, 3)}
    bad = sequential([("InputLayer", layer_catalog.make_config("InputLayer", "x", batch_shape=[None, 4]), {}),
                      ("Dense", layer_catalog.make_config("Dense", "d", units=2), {"kernel": np.zeros((5, 2))})])
    with pytest.raises(ValueError, match="kernel has 5 rows but its input has 4"):
        shapes.infer_shapes(bad)
    a, b = _input("a", 3), _input("b", 4)
    for kind, message in (("Add", "do not broadcast"), ("Concatenate", None)):
        refs = [TensorRef("a"), TensorRef("b")]
        merged = ModelGraph([a, b, LayerNode(kind, layer_catalog.make_config(kind, "m"), refs)], refs, [TensorRef("m")])
        if message:
            with pytest.raises(ValueError, match=message):
                shapes.infer_shapes(merged)
        else:
            assert shapes.infer_shapes(merged)["m"] == (None, 7)


def test_optimizer_variable_names():
    trainable = [("d", "kernel"), ("d", "bias")]
    assert optimizer_variables.variable_names("Adam", {"learning_rate": 0.1, "amsgrad": True}, trainable) == [
        "iteration", "learning_rate", "d_kernel_momentum", "d_kernel_velocity", "d_bias_momentum", "d_bias_velocity",
        "d_kernel_velocity_hat", "d_bias_velocity_hat"]
    assert optimizer_variables.variable_names("SGD", {"momentum": 0.0}, trainable) == ["iteration", "learning_rate"]
    schedule = {"learning_rate": {"class_name": "ExponentialDecay", "config": {}}}
    names = optimizer_variables.variable_names("Adagrad", schedule, trainable)
    assert names[:2] == ["iteration", "d_kernel_accumulator"]  # no learning_rate variable with a schedule
    assert optimizer_variables.variable_names("Nadam", {}, trainable)[-1] == "u_product"
    # An optimizer never built holds only its step and rate.
    named = optimizer_variables.name_variables("Adam", {}, trainable, [np.int32(0), np.float32(0.1)], "f")
    assert list(named) == ["iteration", "learning_rate"]
    # An optimizer this code does not know keeps its arrays under Keras's indices.
    assert list(optimizer_variables.name_variables("Muon", {}, trainable, [1, 2, 3], "f")) == ["0", "1", "2"]
    with pytest.raises(ValueError, match="holds 3 variables"):
        optimizer_variables.name_variables("Adam", {}, trainable, [1, 2, 3], "f")


def test_a_very_deep_model_needs_no_recursion():
    from fastmlp._interop import keras_config
    depth = 5000  # far beyond Python's default recursion limit of 1000
    layers = [{"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [None, 2]}, "inbound_nodes": []}]
    for index in range(depth):
        layers.append({"class_name": "Activation", "config": {"name": f"a{index}", "activation": "tanh"},
                       "inbound_nodes": [[[layers[-1]["config"]["name"], 0, 0, {}]]]})
    config = {"class_name": "Functional", "config": {"name": "deep", "layers": layers[::-1],
                                                     "input_layers": [["x", 0, 0]],
                                                     "output_layers": [[f"a{depth - 1}", 0, 0]]}}
    graph = keras_config.graph_from_config(config)
    assert [node.name for node in graph.layers][:2] == ["x", "a0"]
    assert len(graph.keras_order()) == depth + 1


def test_duplicate_layer_names_in_a_file_are_reported():
    from fastmlp._interop import keras_config
    from fastmlp._interop.errors import ModelFileError
    layers = [{"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [None, 2]}, "inbound_nodes": []},
              {"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [None, 3]}, "inbound_nodes": []}]
    config = {"class_name": "Functional", "config": {"layers": layers, "input_layers": [["x", 0, 0]],
                                                     "output_layers": [["x", 0, 0]]}}
    with pytest.raises(ModelFileError, match="two layers are named 'x'"):
        keras_config.graph_from_config(config)


def test_a_cycle_in_a_file_is_reported():
    from fastmlp._interop import keras_config
    from fastmlp._interop.errors import ModelFileError

    def layer(name, source):
        return {"class_name": "Activation", "config": {"name": name, "activation": "relu"},
                "inbound_nodes": [[[source, 0, 0, {}]]]}
    layers = [{"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [None, 2]}, "inbound_nodes": []},
              layer("a", "b"), layer("b", "a")]
    config = {"class_name": "Functional", "config": {"layers": layers, "input_layers": [["x", 0, 0]],
                                                     "output_layers": [["b", 0, 0]]}}
    with pytest.raises(ModelFileError, match="cycle through"):
        keras_config.graph_from_config(config)
