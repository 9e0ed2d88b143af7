"""Keras 3's scikit-learn wrappers (``keras.wrappers``): a Keras-style model as a scikit-learn estimator,
so that GridSearchCV, RandomizedSearchCV, cross_val_score and Pipeline take it, on one machine or
on a Dask or Ray cluster through joblib.

    def build(X, y, hidden=32):
        model = fm.Sequential([fm.layers.Input((X.shape[1],)), fm.layers.Dense(hidden, activation="relu"),
                               fm.layers.Dense(y.shape[1], activation="softmax")])
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        return model

    search = GridSearchCV(SKLearnClassifier(build, fit_kwargs={"epochs": 20}),
                          {"model_kwargs": [{"hidden": 16}, {"hidden": 64}]}, cv=3)

As in Keras, ``model`` is a compiled model, Sequential or functional with one input and one output
(copied with fresh weights for each fit, unless ``warm_start``), or a callable
``model(X=X, y=y, **model_kwargs)`` that returns one; the classifier gives the model one-hot targets,
one column per class. Unlike Keras, fit is silent unless ``fit_kwargs`` sets ``verbose``
(scikit-learn estimators print nothing by default), and cloning
keeps ``fit_kwargs``.

Parameters may also be given as scikeras routes them, each one a parameter of the estimator that
get_params, set_params, clone and a grid search see:

    SKLearnClassifier(build, hidden=64, optimizer="adam", optimizer__learning_rate=0.01, epochs=20)
    GridSearchCV(clf, {"hidden": [16, 64], "optimizer__learning_rate": [1e-3, 1e-2]})

``model__name`` (or a plain ``name`` the model function takes) goes to the model function;
``optimizer``, ``loss`` and ``metrics`` compile the model (over its own compile), ``optimizer__name`` and
``loss__name`` set one argument of its optimizer or loss; ``fit__name`` (or a plain ``name`` of
``Model.fit``, such as ``epochs`` and ``batch_size``) goes to fit and ``predict__name`` to predict.
"""

import inspect

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.utils.multiclass import type_of_target
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as error:  # pragma: no cover - scikit-learn is an optional dependency
    raise ImportError("fastmlp.wrappers needs scikit-learn: pip install scikit-learn") from error

import numpy as np

from fastmlp import losses, optimizers
from fastmlp.models import Model, Sequential, clone_model

# float32 and float64 data pass as they are (the model converts them once to its dtype if they differ);
# other numbers become float32.
_FLOATS = [np.float32, np.float64]


# Where a routed parameter's prefix sends it (scikeras's names).
_ROUTES = ("model", "optimizer", "loss", "fit", "predict")
_COMPILE_ARGUMENTS = ("optimizer", "loss", "metrics")


class _SKLearnWrapper(BaseEstimator):
    """Shared by the classifier and the regressor: building, fitting and predicting."""

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None, **routed):
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs
        for name, value in routed.items():
            setattr(self, name, value)

    # ---- routed parameters (scikeras's style) -----------------------------------------------------------
    def _routed_names(self):
        """The parameters given beyond the four of the signature: attributes that are neither private
        nor fitted (those end with an underscore)."""
        fixed = set(self._get_param_names())
        return sorted(name for name in vars(self) if name not in fixed and not name.startswith("_")
                      and not name.endswith("_"))

    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        params.update({name: getattr(self, name) for name in self._routed_names()})
        return params

    def set_params(self, **params):
        """As BaseEstimator's, also taking routed parameters (``optimizer__learning_rate``, ...), the ones
        this estimator was given beyond its signature, and the arguments its model function takes."""
        known = set(self._routed_names())
        if callable(self.model) and not isinstance(self.model, Model):
            known |= _accepted_arguments(self.model) - {"X", "y", "**"}
        for name in list(params):
            if name in known or name.split("__", 1)[0] in _ROUTES + _COMPILE_ARGUMENTS and "__" in name:
                setattr(self, name, params.pop(name))
        return super().set_params(**params) if params else self

    def _routes(self):
        """{route: {argument: value}} for the routed parameters; a plain name goes to the model function
        when it takes it, else to compile or fit when it is one of theirs."""
        routes = {route: {} for route in (*_ROUTES, "compile")}
        takes = _accepted_arguments(self.model) if callable(self.model) and not isinstance(self.model, Model) else set()
        fit_arguments = set(inspect.signature(Model.fit).parameters) - {"self", "x", "y"}
        for name in self._routed_names():
            value = getattr(self, name)
            route, _, argument = name.partition("__")
            if argument and route in routes and route != "compile":
                routes[route][argument] = value
            elif argument and route in _COMPILE_ARGUMENTS:
                routes[route][argument] = value  # optimizer__learning_rate, loss__from_logits
            elif name in takes or "**" in takes:
                routes["model"][name] = value
            elif name in _COMPILE_ARGUMENTS:
                routes["compile"][name] = value
            elif name in fit_arguments:
                routes["fit"][name] = value
            else:
                raise ValueError(f"{type(self).__name__} got the parameter {name!r}, which the model function does "
                                 f"not take and which is not an argument of compile() or fit(); route it with a "
                                 f"prefix ({', '.join(p + '__' for p in _ROUTES)})")
        return routes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True  # unless the model's builder seeds fastmlp
        return tags

    def _new_model(self, X, y):
        routes = self._routes()
        model = self._built_model(X, y, routes["model"])
        compile_arguments = routes["compile"]
        if compile_arguments or routes["optimizer"] or routes["loss"]:
            optimizer = optimizers.get(compile_arguments.get("optimizer", model.optimizer))
            optimizer = type(optimizer).from_config({**optimizer.get_config(), **routes["optimizer"]})
            loss = compile_arguments.get("loss", model.loss)
            if routes["loss"]:
                loss = losses.get(loss)
                loss = type(loss).from_config({**loss.get_config(), **routes["loss"]})
            metrics = compile_arguments.get("metrics", list(model.compiled_metrics))
            model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
        return model

    def _built_model(self, X, y, model_arguments):
        if isinstance(self.model, Model):
            _require_one_input_and_output(self.model)
            if not self.model._core.compiled:
                raise ValueError("the model given to the wrapper must be compiled; or pass a function that "
                                 "builds and compiles one")
            model = clone_model(self.model)
            optimizer = optimizers.get(self.model.optimizer)
            model.compile(optimizer=type(optimizer).from_config(optimizer.get_config()), loss=self.model.loss,
                          metrics=list(self.model.compiled_metrics))
            return model
        if not callable(self.model):
            raise TypeError(f"model must be a compiled fastmlp model or a function returning one, "
                            f"got {self.model!r}")
        model = self.model(X=X, y=y, **{**(self.model_kwargs or {}), **model_arguments})
        if not isinstance(model, Model):
            raise TypeError(f"the model function must return a fastmlp model (Sequential or Model), got {model!r}")
        _require_one_input_and_output(model)
        if not model._core.compiled:
            compile_arguments = self._routes()["compile"]
            if "loss" not in compile_arguments:
                raise ValueError("the model function must return a compiled model (call model.compile(...)), or "
                                 "the estimator be given loss= (and optimizer=, metrics=) to compile it with")
            model.compile(optimizer=compile_arguments.get("optimizer", "rmsprop"), loss=compile_arguments["loss"])
        return model

    def fit(self, X, y, **kwargs):
        """Builds (or, with warm_start, reuses) the model and fits it; ``kwargs`` go to ``model.fit``,
        over ``fit_kwargs``."""
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=not isinstance(self, ClassifierMixin),
                             dtype=_FLOATS)
        targets = self._encode_targets(y)
        if not (self.warm_start and hasattr(self, "model_")):
            self.model_ = self._new_model(X, targets)
        arguments = {"verbose": 0, **(self.fit_kwargs or {}), **self._routes()["fit"], **kwargs}
        self.history_ = self.model_.fit(X, targets, **arguments).history
        return self

    def _outputs(self, X):
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=_FLOATS)
        return self.model_.predict(X, **{"verbose": 0, **self._routes()["predict"]})


def _accepted_arguments(function):
    """The keyword arguments ``function`` takes by name, with "**" when it takes any."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return set()
    names = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return names | ({"**"} if any(p.kind == p.VAR_KEYWORD for p in parameters) else set())


def _require_one_input_and_output(model):
    """scikit-learn passes one X and one y: a functional model of several inputs or outputs cannot take them."""
    if isinstance(model, Sequential):
        return
    if len(model.input_names) != 1 or len(model.output_names) != 1:
        raise ValueError(f"a scikit-learn wrapper needs a model of one input and one output (one X, one y); "
                         f"{model.name!r} has inputs {model.input_names} and outputs {model.output_names}")


class SKLearnClassifier(ClassifierMixin, _SKLearnWrapper):
    """A Keras-style classifier as a scikit-learn estimator; the model sees one-hot targets.

    Args:
        model: a compiled fastmlp model (one input, one output), or a callable ``model(X=X, y=y, **model_kwargs)``
            returning one (``y`` is then the one-hot targets, one column per class).
        warm_start: reuse the fitted model's weights at the next fit instead of starting anew.
        model_kwargs: keyword arguments for the callable ``model``: what a search varies.
        fit_kwargs: keyword arguments for ``model.fit`` (epochs, batch_size, callbacks, ...).
        **routed: scikeras-style parameters (``hidden=64``, ``optimizer__learning_rate=0.01``, ``epochs=20``;
            see the module's note), each one a parameter of the estimator.

    Attributes: ``model_`` (the fitted model), ``history_`` (its History.history dict),
    ``classes_``.
    """

    def _encode_targets(self, y):
        kind = type_of_target(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"SKLearnClassifier takes binary or multiclass targets, got {kind} targets")
        if not (self.warm_start and hasattr(self, "model_")):
            self.encoder_ = OneHotEncoder(sparse_output=False, dtype=np.float32).fit(np.reshape(y, (-1, 1)))
            self.classes_ = self.encoder_.categories_[0]
            if len(self.classes_) < 2:
                raise ValueError(f"SKLearnClassifier needs at least two classes, got only {self.classes_[0]!r}")
        return self.encoder_.transform(np.reshape(y, (-1, 1)))

    def predict_proba(self, X):
        """The model's outputs: one probability per class (``classes_``) and row."""
        return self._outputs(X)

    def predict(self, X):
        return self.classes_[np.argmax(self._outputs(X), axis=1)]


class SKLearnRegressor(RegressorMixin, _SKLearnWrapper):
    """A Keras-style regressor as a scikit-learn estimator. Arguments as SKLearnClassifier's; the
    model sees ``y`` as given (one column for 1-D targets)."""

    def _encode_targets(self, y):
        self._one_dimensional = np.ndim(y) == 1
        y = np.asarray(y)
        return y if y.dtype in _FLOATS else y.astype(np.float32)

    def predict(self, X):
        outputs = self._outputs(X)
        return outputs.ravel() if self._one_dimensional else outputs


__all__ = ["SKLearnClassifier", "SKLearnRegressor"]
