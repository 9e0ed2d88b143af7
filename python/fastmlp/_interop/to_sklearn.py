"""A model graph that is a plain multi-layer perceptron, as a fitted scikit-learn estimator.

scikit-learn's MLPs are a chain of Dense layers with biases, one hidden activation (identity,
logistic, tanh or relu) and an output activation that fixes the task: softmax (multi-class),
sigmoid (binary with one unit, multi-label with several), identity (regression) or exponential
(Poisson regression). A graph of that
shape becomes an estimator whose ``predict``/``predict_proba`` give the graph's outputs; the estimator
can be refitted (``warm_start``) or used anywhere scikit-learn takes one.
"""

import numpy as np

from fastmlp._interop import layer_catalog

_HIDDEN = {"linear": "identity", "sigmoid": "logistic", "tanh": "tanh", "relu": "relu"}


def _mlp_layers(graph):
    """The Dense layers of ``graph``, or ValueError saying why it is not a scikit-learn MLP."""
    dense = [node for node in graph.layers if node.class_name != "InputLayer"]
    problems = [f"{node.name!r} is a {node.class_name}" for node in dense if node.class_name != "Dense"]
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        problems.append("it has several inputs or outputs")
    if any(len(node.inbound) != 1 for node in dense):
        problems.append("it is not a chain")
    configs = [layer_catalog.with_defaults("Dense", node.config) for node in dense if node.class_name == "Dense"]
    if any(not config["use_bias"] for config in configs):
        problems.append("a Dense layer has no bias")
    hidden = {config["activation"] for config in configs[:-1]}
    if len(hidden) > 1 or not hidden <= set(_HIDDEN):
        problems.append(f"its hidden activations {sorted(map(str, hidden))} are not one of {sorted(_HIDDEN)}")
    if configs and configs[-1]["activation"] not in ("softmax", "sigmoid", "linear", "exponential"):
        problems.append(f"its output activation {configs[-1]['activation']!r} is not softmax, sigmoid, linear or "
                        "exponential")
    if problems or not configs:
        reasons = "; ".join(problems or ["no layers"])
        raise ValueError(f"the model is not a scikit-learn multi-layer perceptron: {reasons}")
    return dense, configs


def sklearn_from_graph(graph, classes=None, **parameters):
    """A fitted ``sklearn.neural_network`` MLPClassifier (softmax or sigmoid output) or MLPRegressor
    (linear output; exponential for a Poisson regressor) computing what ``graph`` computes.

    Args:
        graph: a chain of Dense layers (see the module's docstring).
        classes: the class labels, one per output unit (two for a one-unit sigmoid output); default
            0, 1, ... A multi-label classifier takes its labels as 0..k-1 columns.
        **parameters: constructor parameters for the estimator (solver, learning_rate_init, ...).
    """
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.preprocessing import LabelBinarizer

    dense, configs = _mlp_layers(graph)
    hidden_activation = _HIDDEN[configs[0]["activation"]] if len(configs) > 1 else "relu"
    output = configs[-1]["activation"]
    units = [int(config["units"]) for config in configs]
    parameters.setdefault("hidden_layer_sizes", tuple(units[:-1]))
    parameters.setdefault("activation", hidden_activation)
    if output in ("linear", "exponential"):
        if output == "exponential":  # scikit-learn's Poisson regression puts exp on the output
            parameters.setdefault("loss", "poisson")
        estimator = MLPRegressor(**parameters)
        estimator.out_activation_ = "identity" if output == "linear" else "exp"
    else:
        estimator = MLPClassifier(**parameters)
        estimator.out_activation_ = "softmax" if output == "softmax" else "logistic"
        binarizer = LabelBinarizer()
        if output == "sigmoid" and units[-1] > 1:  # multi-label: one indicator column per unit
            binarizer.fit(np.eye(units[-1], dtype=int))
        else:
            count = 2 if units[-1] == 1 else units[-1]
            labels = np.arange(count) if classes is None else np.asarray(classes)
            if len(labels) != count:
                raise ValueError(f"the model has {units[-1]} output units, so it needs {count} classes, got "
                                 f"{len(labels)}")
            binarizer.fit(labels)
        estimator._label_binarizer = binarizer
        estimator.classes_ = binarizer.classes_
    estimator.coefs_ = [np.asarray(node.weights["kernel"], np.float64) for node in dense]
    estimator.intercepts_ = [np.asarray(node.weights["bias"], np.float64) for node in dense]
    estimator.n_features_in_ = estimator.coefs_[0].shape[0]
    estimator.n_outputs_ = units[-1]
    estimator.n_layers_ = len(dense) + 1
    estimator.n_iter_ = 0
    estimator.t_ = 0
    estimator.loss_curve_ = []
    estimator.best_loss_ = np.inf
    estimator._no_improvement_count = 0
    return estimator
