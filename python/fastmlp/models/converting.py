"""Models from other libraries and back: scikit-learn's and PyTorch's networks as fastmlp models, and a
fastmlp model as a fitted scikit-learn estimator. Each conversion goes through the interop graph
(fastmlp._interop.graph), as the Keras and ONNX files do."""


def from_sklearn(estimator, compile=True):
    """A fastmlp Sequential computing what a fitted scikit-learn network computes.

    Args:
        estimator: a fitted ``sklearn.neural_network.MLPClassifier``/``MLPRegressor`` (or a
            ``fastmlp.sklearn`` one). The model's output is the network's: softmax probabilities equal
            to ``predict_proba`` (one sigmoid unit p for a binary classifier, whose ``predict_proba`` is
            ``[1 - p, p]``), or the regression values (``predict``).
        compile: compile the model with scikit-learn's loss for the task and its solver as an
            optimizer (Adam or SGD with its learning rate and moments; lbfgs, which Keras lacks, gives
            RMSprop), so that ``fit`` trains on.

    Raises:
        ValueError: for an estimator that is not fitted or uses an activation fastmlp lacks.
    """
    from fastmlp._interop import fastmlp_models, from_sklearn as importer
    return fastmlp_models.model_from_graph(importer.graph_from_sklearn(estimator), compile=compile)


def from_torch(module, input_shape=None, name="sequential"):
    """A fastmlp Sequential computing what a PyTorch ``nn.Sequential`` computes in eval mode.

    Handles ``Linear`` (whose (outputs, inputs) weights become Keras's (inputs, outputs) kernels),
    ``Flatten``, ``Dropout``, ``BatchNorm1d`` (its running statistics), ``LayerNorm``, ``PReLU`` and
    the activation modules fastmlp has; a nested ``nn.Sequential`` is read in order. The model comes
    back uncompiled: compile it to train on.

    Args:
        module: the torch module (torch itself is not imported by fastmlp; only the module is read).
        input_shape: one sample's shape, needed when the first module is not a Linear (a Flatten,
            say); by default ``(in_features,)`` of the first Linear.
        name: the model's name.

    Raises:
        ValueError: for a module fastmlp has no counterpart for, naming it, or for inconsistent sizes.
    """
    from fastmlp._interop import fastmlp_models, from_torch as importer
    return fastmlp_models.model_from_graph(importer.graph_from_torch(module, input_shape, name), compile=False)


def to_sklearn(model, classes=None, **parameters):
    """A fitted scikit-learn ``MLPClassifier``/``MLPRegressor`` computing what ``model`` computes.

    The model must be what scikit-learn's networks are: a chain of Dense layers with biases, one hidden
    activation (linear, sigmoid, tanh or relu) and a softmax or sigmoid output (a classifier) or a
    linear or exponential one (a regressor).

    Args:
        model: a built fastmlp Sequential or functional Model.
        classes: the class labels, one per output unit (two for a single sigmoid unit); default 0, 1, ...
        **parameters: constructor parameters of the estimator (solver, learning_rate_init, ...).

    Raises:
        ValueError: saying why the model is not a scikit-learn network.
    """
    from fastmlp._interop import fastmlp_models, to_sklearn as exporter
    graph = fastmlp_models.graph_from_model(model, include_optimizer=False)
    return exporter.sklearn_from_graph(graph, classes=classes, **parameters)
