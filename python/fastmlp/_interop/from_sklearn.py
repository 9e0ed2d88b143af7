"""A fitted scikit-learn multi-layer perceptron as a model graph.

Works on scikit-learn's ``MLPClassifier``/``MLPRegressor`` and on ``fastmlp.sklearn``'s, which keep
the same fitted attributes: ``coefs_`` (each (inputs, units), Keras's layout already), ``intercepts_``,
``activation`` and ``out_activation_``. The graph's output is what the network computes:

* multi-class classifier: the softmax probabilities, equal to ``predict_proba``;
* binary classifier: one sigmoid unit p, where ``predict_proba`` is ``[1 - p, p]``;
* multi-label classifier: one sigmoid unit per label, equal to ``predict_proba``;
* regressor: the identity outputs (exp with ``loss="poisson"``), equal to ``predict`` (which flattens a
  single output).
"""

import numpy as np

from fastmlp._interop import layer_catalog
from fastmlp._interop.errors import UnsupportedLayerError
from fastmlp._interop.graph import CompileState, OptimizerState, sequential

# scikit-learn's activation names -> Keras's.
# ("exp" is the output of MLPRegressor(loss="poisson").)
ACTIVATIONS = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu", "softmax": "softmax",
               "exp": "exponential"}
# The loss each output activation trains with in scikit-learn, by Keras's name.
LOSSES = {"linear": "mean_squared_error", "sigmoid": "binary_crossentropy", "softmax": "categorical_crossentropy",
          "exponential": "poisson"}


def _check_fitted(estimator):
    missing = [name for name in ("coefs_", "intercepts_", "out_activation_") if not hasattr(estimator, name)]
    if missing:
        raise ValueError(f"{type(estimator).__name__} is not fitted (it lacks {missing}); call fit first")


def _optimizer(estimator):
    """The Keras optimizer matching the estimator's solver; None for lbfgs, which Keras lacks."""
    solver = getattr(estimator, "solver", None)
    rate = float(getattr(estimator, "learning_rate_init", 0.001))
    if solver == "adam":
        config = {"name": "adam", "learning_rate": rate, "beta_1": float(estimator.beta_1),
                  "beta_2": float(estimator.beta_2), "epsilon": float(estimator.epsilon), "amsgrad": False}
        return OptimizerState("Adam", config)
    if solver == "sgd":
        config = {"name": "SGD", "learning_rate": rate, "momentum": float(estimator.momentum),
                  "nesterov": bool(estimator.nesterovs_momentum)}
        return OptimizerState("SGD", config)
    return None


def graph_from_sklearn(estimator, name=None):
    """The ModelGraph of a fitted scikit-learn (or fastmlp.sklearn) MLPClassifier/MLPRegressor.

    The compile state names the loss scikit-learn trains with and its solver as a Keras optimizer
    (its moments and its L2 penalty ``alpha`` are not carried over).

    Args:
        estimator: the fitted estimator.
        name: the model's name (default: the estimator's class name in snake case).

    Raises:
        ValueError: for an estimator that is not fitted.
        UnsupportedLayerError: for an activation Keras lacks.
    """
    _check_fitted(estimator)
    hidden = ACTIVATIONS.get(estimator.activation)
    output = ACTIVATIONS.get(estimator.out_activation_)
    for value, what in ((hidden, estimator.activation), (output, estimator.out_activation_)):
        if value is None:
            raise UnsupportedLayerError("scikit-learn activation", what)
    # The weights as scikit-learn keeps them (float64, or float32 after training on float32), so that a
    # conversion back to scikit-learn is exact; the graph's layers are float32, as from_sklearn's model is.
    coefs = [_floats(c) for c in estimator.coefs_]
    intercepts = [_floats(b) for b in estimator.intercepts_]
    input_config = layer_catalog.make_config("InputLayer", "input_layer", batch_shape=[None, coefs[0].shape[0]])
    layers = [("InputLayer", input_config, {})]
    for index, (kernel, bias) in enumerate(zip(coefs, intercepts)):
        last = index == len(coefs) - 1
        layer_name = "dense" if index == 0 else f"dense_{index}"
        config = layer_catalog.make_config("Dense", layer_name, units=int(kernel.shape[1]),
                                           activation=output if last else hidden)
        layers.append(("Dense", config, {"kernel": kernel, "bias": bias}))
    graph = sequential(layers, name=name or _snake(type(estimator).__name__))
    graph.compile = CompileState(optimizer=_optimizer(estimator), loss=LOSSES[output])
    return graph


def _floats(array):
    array = np.asarray(array)
    return np.asarray(array, np.float64 if array.dtype == np.float64 else np.float32)


def _snake(name):
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))
