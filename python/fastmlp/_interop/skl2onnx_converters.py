"""skl2onnx converters for multi-layer perceptrons, so that ``skl2onnx.to_onnx`` converts a scikit-learn
pipeline holding fastmlp.sklearn estimators.

skl2onnx looks a model's class up in its registry (``update_registered_converter``) to find three
functions: a parser (which outputs the operator has: classifiers get a label and probabilities, and
skl2onnx's own classifier parser adds the ZipMap its ``zipmap`` option asks for), a shape calculator
(their types and shapes) and a converter (the ONNX nodes). The converter here turns the estimator
into a model graph (from_sklearn.py) and writes it with the same code as the ONNX exporter, through
an adapter that names things the way skl2onnx's scope demands.
"""

import numpy as np

from fastmlp._interop import from_sklearn, onnx_export, optional


class _ScopeBuilder:
    """The OnnxBuilder interface on top of skl2onnx's scope (unique names) and container (nodes)."""

    def __init__(self, scope, container):
        self.scope = scope
        self.container = container
        self.opset = container.target_opset

    def unique(self, hint):
        return self.scope.get_unique_variable_name(hint)

    def constant(self, array, hint):
        onnx = optional.require("onnx", "converting with skl2onnx", "skl2onnx")
        array = onnx_export.as_constant(array)
        name = self.unique(hint)
        if array.dtype.kind in "OUS":  # the container copies a tensor's raw bytes, which strings do not use
            values = [str(value).encode("utf-8") for value in array.ravel()]
            self.container.add_initializer(name, onnx.TensorProto.STRING, list(array.shape), values)
        else:
            tensor = onnx.numpy_helper.from_array(array, name)
            self.container.add_initializer(name, None, None, tensor)
        return name

    def op(self, op_type, inputs, hint, outputs=1, **attributes):
        names = [self.unique(f"{hint}_{op_type}") for _ in range(outputs)]
        self.container.add_node(op_type, list(inputs), names, name=self.scope.get_unique_operator_name(op_type),
                                **attributes)
        return names[0] if outputs == 1 else names


def _network_output(scope, operator, container):
    graph = from_sklearn.graph_from_sklearn(operator.raw_operator)
    b = _ScopeBuilder(scope, container)
    x = operator.inputs[0].full_name
    if operator.inputs[0].type.__class__.__name__ != "FloatTensorType":
        x = b.op("Cast", [x], "input", to=1)  # the network computes in float32
    return b, onnx_export.emit_graph(b, graph, [x])[0]


def convert_mlp_classifier(scope, operator, container):
    """skl2onnx converter: outputs the predicted label and ``predict_proba``'s probabilities."""
    estimator = operator.raw_operator
    b, output = _network_output(scope, operator, container)
    label_name, probability_name = operator.outputs[0].full_name, operator.outputs[1].full_name
    if estimator.out_activation_ == "logistic" and estimator.n_outputs_ > 1:  # multi-label
        container.add_node("Identity", [output], [probability_name], name=scope.get_unique_operator_name("Identity"))
        above = b.op("Greater", [output, b.constant(np.asarray(0.5, np.float32), "half")], "label")
        container.add_node("Cast", [above], [label_name], name=scope.get_unique_operator_name("Cast"), to=7)
        return
    if estimator.out_activation_ == "logistic":  # binary: one unit p, probabilities [1 - p, p]
        complement = b.op("Sub", [b.constant(np.asarray(1.0, np.float32), "one"), output], "binary")
        output = b.op("Concat", [complement, output], "binary", axis=1)
    container.add_node("Identity", [output], [probability_name], name=scope.get_unique_operator_name("Identity"))
    best = b.op("ArgMax", [output], "label", axis=1, keepdims=0)
    classes = np.asarray(estimator.classes_)
    if classes.dtype.kind in "iub":
        labels = b.constant(classes.astype(np.int64), "classes")
    else:
        labels = b.constant(classes.astype(str), "classes")
    container.add_node("Gather", [labels, best], [label_name], name=scope.get_unique_operator_name("Gather"), axis=0)


def convert_mlp_regressor(scope, operator, container):
    """skl2onnx converter: outputs the (N, outputs) predictions."""
    _, output = _network_output(scope, operator, container)
    container.add_node("Identity", [output], [operator.outputs[0].full_name],
                       name=scope.get_unique_operator_name("Identity"))


def _regressor_shape(operator):
    data_types = optional.require("skl2onnx.common.data_types", "converting with skl2onnx", "skl2onnx")
    outputs = operator.raw_operator.n_outputs_
    operator.outputs[0].type = data_types.FloatTensorType([None, outputs])


def _classifier_shape(operator):
    data_types = optional.require("skl2onnx.common.data_types", "converting with skl2onnx", "skl2onnx")
    estimator = operator.raw_operator
    multilabel = estimator.out_activation_ == "logistic" and estimator.n_outputs_ > 1
    classes = np.asarray(estimator.classes_)
    if multilabel:
        operator.outputs[0].type = data_types.Int64TensorType([None, estimator.n_outputs_])
    elif classes.dtype.kind in "iub":
        operator.outputs[0].type = data_types.Int64TensorType([None])
    else:
        operator.outputs[0].type = data_types.StringTensorType([None])
    operator.outputs[1].type = data_types.FloatTensorType([None, len(classes)])


def register_skl2onnx_converters(classifier, regressor):
    """Registers the converters with skl2onnx for the given estimator classes (fastmlp.sklearn's, through
    ``fastmlp.sklearn.register_skl2onnx_converters``). Afterwards ``skl2onnx.to_onnx(pipeline, X[:1])``
    converts any pipeline that holds them.

    Args:
        classifier: the MLP classifier class to register (its instances need scikit-learn's fitted
            attributes: coefs_, intercepts_, activation, out_activation_, classes_, n_outputs_).
        regressor: the MLP regressor class to register.
    """
    skl2onnx = optional.require("skl2onnx", "converting scikit-learn pipelines to ONNX", "skl2onnx")
    skl2onnx.update_registered_converter(
        classifier, f"Fastmlp{classifier.__name__}", _classifier_shape, convert_mlp_classifier,
        options={"zipmap": [True, False, "columns"], "nocl": [True, False]})
    skl2onnx.update_registered_converter(regressor, f"Fastmlp{regressor.__name__}", _regressor_shape,
                                         convert_mlp_regressor)
