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
"""

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.utils.multiclass import type_of_target
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as error:  # pragma: no cover - scikit-learn is an optional dependency
    raise ImportError("fastmlp.wrappers needs scikit-learn: pip install scikit-learn") from error

import numpy as np

from fastmlp import optimizers
from fastmlp.models import Model, Sequential, clone_model

# float32 and float64 data pass as they are (the model converts them once to its dtype if they differ);
# other numbers become float32.
_FLOATS = [np.float32, np.float64]


class _SKLearnWrapper(BaseEstimator):
    """Shared by the classifier and the regressor: building, fitting and predicting."""

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True  # unless the model's builder seeds fastmlp
        return tags

    def _new_model(self, X, y):
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
        model = self.model(X=X, y=y, **(self.model_kwargs or {}))
        if not isinstance(model, Model):
            raise TypeError(f"the model function must return a fastmlp model (Sequential or Model), got {model!r}")
        _require_one_input_and_output(model)
        if not model._core.compiled:
            raise ValueError("the model function must return a compiled model (call model.compile(...))")
        return model

    def fit(self, X, y, **kwargs):
        """Builds (or, with warm_start, reuses) the model and fits it; ``kwargs`` go to ``model.fit``,
        over ``fit_kwargs``."""
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=not isinstance(self, ClassifierMixin),
                             dtype=_FLOATS)
        targets = self._encode_targets(y)
        if not (self.warm_start and hasattr(self, "model_")):
            self.model_ = self._new_model(X, targets)
        arguments = {"verbose": 0, **(self.fit_kwargs or {}), **kwargs}
        self.history_ = self.model_.fit(X, targets, **arguments).history
        return self

    def _outputs(self, X):
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=_FLOATS)
        return self.model_.predict(X, verbose=0)


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
