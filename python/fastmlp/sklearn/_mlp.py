"""MLPClassifier and MLPRegressor: scikit-learn's multi-layer perceptrons, trained by a fastmlp Sequential.

The network, its initial weights, the optimizers, the penalty and the stopping rules follow
scikit-learn's definitions; the epochs run in fastmlp's C++ loop, and solver="lbfgs" runs the core's
full-batch L-BFGS (fastmlp/lbfgs.hpp) on ``scale`` times the network's loss, which is scikit-learn's
objective. Two translations make the numbers agree with scikit-learn's:

* Gradient scale. Keras-style losses average over outputs; scikit-learn's gradients do not. With k
  outputs, scikit-learn's gradient of the data loss is ``scale`` times fastmlp's: k for logistic outputs
  (its binary log loss sums over them), k for the Poisson deviance (likewise), 1 for softmax, and k/2 for
  the squared error (its loss is half the mean squared error, but its output delta ``p - y`` is not
  divided by k; for k > 1 lbfgs minimises k/2 times the loss, the objective that gradient belongs to,
  where scikit-learn hands SciPy a loss and a gradient that do not match). So the L2 strength is
  divided by ``scale``, SGD's rate multiplied by it and Adam's epsilon divided by it: the updates are
  then scikit-learn's (tests/test_sklearn.py compares one step with scikit-learn's).
* Penalty. scikit-learn adds ``0.5 * alpha * ||W||^2`` divided by the rows of each batch to the batch's
  loss; fastmlp's ``L2(l2)`` adds ``l2 * ||W||^2``, so ``l2 = alpha / (2 * batch_size * scale)``
  (scikit-learn divides by the smaller row count of a last, partial batch; fastmlp keeps one strength).
* Sample weights. scikit-learn divides a batch's weighted loss and its penalty by the batch's sum of
  weights, fastmlp (as Keras) by its row count. The weights are rescaled to mean 1 and the penalty
  divided by their mean, so both agree exactly for a full batch and on average for minibatches.
* Reported loss. fastmlp's epoch loss times ``scale`` is scikit-learn's loss_ for classifiers; for
  regression scikit-learn reports the half mean squared error, which _sklearn_loss rebuilds.

Precision follows the data, as in scikit-learn: float32 input trains a float32 network, float64 input (and
anything else: integers, booleans) a float64 one (``dtype=`` on its layers; the global floatx is left
alone). coefs_, intercepts_, predict, predict_proba are in that dtype. The dtype is fixed by the first
fit; partial_fit, warm_start fits and predictions convert later input to it.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.special import xlogy
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d, validate_data

from fastmlp import _dtypes, initializers, layers, models, optimizers, regularizers
from fastmlp.sklearn._epoch_rules import EpochRules

# scikit-learn's activation names and fastmlp's.
_ACTIVATIONS = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
_OUTPUT_ACTIVATIONS = {"identity": "linear", "logistic": "sigmoid", "softmax": "softmax", "exp": "exponential"}
_LOSSES = {"identity": "mean_squared_error", "logistic": "binary_crossentropy",
           "softmax": "categorical_crossentropy", "exp": "poisson"}
_STOCHASTIC_SOLVERS = ("sgd", "adam")
_NON_FINITE_WEIGHTS = ("Solver produced non-finite parameter weights. The input data may contain large values and "
                       "need to be preprocessed.")
# batch_size="auto" is min(200, n_samples), as in scikit-learn.
_AUTO_BATCH_SIZE = 200


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: parameters, training and the fastmlp model."""

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(_ACTIVATIONS))],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun  # lbfgs only; kept so that scikit-learn code runs unchanged

    # ---- scikit-learn protocol ---------------------------------------------------------------------
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # read as CSR without densifying (fastmlp/_sparse.py)
        return tags

    def fit(self, X, y, sample_weight=None):
        """Trains a new network (or, with ``warm_start``, continues from the last fit's weights) for at
        most ``max_iter`` epochs. ``sample_weight`` scales each row's share of the loss. Returns self."""
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=False)

    # ---- training ----------------------------------------------------------------------------------
    def _stochastic(self):
        """Whether partial_fit is available: for the minibatch solvers, not for lbfgs (as in scikit-learn)."""
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(f"partial_fit is only available for stochastic optimizers. {self.solver} is not "
                                 "stochastic.")
        return True

    def _validate_params_when_changed(self):
        """partial_fit, called once per block of a stream (dask-ml's Incremental), validates the parameters
        only when they changed since its last call: comparing them costs microseconds, validating them
        about a millisecond. fit validates them every time, as scikit-learn does."""
        params = self.get_params(deep=False)
        try:
            unchanged = bool(params == self.__dict__.get("_validated_params"))
        except (TypeError, ValueError):  # an array among them, which == does not compare: validate
            unchanged = False
        if not unchanged:
            self._validate_params()
            self._validated_params = params

    def _ready_input(self, X, y, label_kinds):
        """(X, y) of a later partial_fit call when they already are what validate_data would return: NumPy
        arrays, X C-contiguous in the network's dtype and width, finite, with no feature names to compare,
        y of as many rows and of a dtype kind in ``label_kinds``. Else None, and validate_data checks them."""
        if (type(X) is not np.ndarray or type(y) is not np.ndarray or X.ndim != 2 or X.dtype != self.__dict__.get("_dtype")
                or not X.flags.c_contiguous or X.shape[1] != getattr(self, "n_features_in_", -1) or len(X) == 0
                or len(y) != len(X) or y.ndim not in (1, 2) or y.dtype.kind not in label_kinds
                or hasattr(self, "feature_names_in_")):
            return None
        with np.errstate(over="ignore", invalid="ignore"):
            # One sum is finite only if every value is (a sum that overflows sends it to the full check).
            if not np.isfinite(X.sum()) or (y.dtype.kind == "f" and not np.isfinite(y.sum())):
                return None
        return X, (column_or_1d(y, warn=True) if y.ndim == 2 and y.shape[1] == 1 else y)

    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        if any(isinstance(s, bool) or not isinstance(s, Integral) or s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must hold positive integers, got {self.hidden_layer_sizes!r}")
        return [int(s) for s in sizes]

    def _fit(self, X, y, sample_weight, incremental):
        hidden = self._hidden_sizes()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        self._adopt_assigned_weights()
        # As in scikit-learn, coefs_ decides: weights assigned to an unfitted estimator are trained on by
        # partial_fit and warm_start fits.
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, targets, labels = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        assigned = None if first_pass or hasattr(self, "_model") else self._assigned_weights()
        if first_pass or assigned is not None:
            self._initialize(targets.shape[1], len(hidden), X.dtype)
        elif not incremental or not hasattr(self, "_rng"):
            self._rng = check_random_state(self.random_state)

        validation = None
        if self.early_stopping and self.solver in _STOCHASTIC_SOLVERS:  # lbfgs ignores it, as scikit-learn's
            X, targets, sample_weight, validation = self._split_validation(X, targets, labels, sample_weight)
        n_samples = X.shape[0]
        batch_size = self._batch_size(n_samples) if self.solver in _STOCHASTIC_SOLVERS else n_samples
        mean_weight = 1.0 if sample_weight is None else float(np.mean(sample_weight))
        if not mean_weight > 0:  # only possible once early stopping has held rows out
            raise ValueError("every training row left after holding out the validation rows has sample_weight 0; "
                             "give more rows a positive weight or lower validation_fraction")
        weights = None if sample_weight is None else (sample_weight / mean_weight).astype(self._dtype)
        self._loss_offset = self._sklearn_loss_offset(targets, weights)
        # scikit-learn divides the penalty by a batch's sum of weights (its row count without weights).
        self._penalty_rows = batch_size * mean_weight
        l2 = self.alpha / (2.0 * self._penalty_rows * self._gradient_scale)
        # scikit-learn keeps the optimizer's state across partial_fit calls and starts a new one for
        # every fit. A partial_fit whose batches (or weights) give the penalty another strength
        # changes it in place, keeping the optimizer.
        if first_pass or not incremental or assigned is not None:
            previous = None if first_pass else assigned if assigned is not None else self._model.get_weights()
            self._model = self._build_model(X.shape[1], hidden, targets.shape[1], l2, previous)
        elif l2 != self.__dict__.get("_l2"):
            for layer in self._model.layers:
                layer.kernel_regularizer = regularizers.L2(l2) if l2 > 0 else None
        self._l2 = l2

        self._expose_weights()
        self.n_iter_ = 0  # scikit-learn counts the iterations of the last fit (or partial_fit) only
        if self.solver == "lbfgs":
            self._minimize_lbfgs(X, targets, weights)
        else:
            self._fit_stochastic(X, targets, weights, validation, n_samples, batch_size, incremental)
        if not all(np.isfinite(w).all() for w in self.coefs_ + self.intercepts_):
            raise ValueError(_NON_FINITE_WEIGHTS)
        return self

    def _fit_stochastic(self, X, targets, weights, validation, n_samples, batch_size, incremental):
        if validation is not None and getattr(self, "_best_weights", None) is None:
            self._best_weights = self._model.get_weights()  # restored if no epoch scores better (a diverging fit)
        rules = EpochRules(self, n_samples, validation)
        epochs = 1 if incremental else self.max_iter
        self._model.fit(X, targets, batch_size=batch_size, epochs=epochs, verbose=0, shuffle=bool(self.shuffle),
                        callbacks=[rules], sample_weight=weights)
        if validation is not None:
            self._model.set_weights(self._best_weights)
        if not incremental and not rules.converged and len(self._model.history.epoch) == self.max_iter:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                          "optimization hasn't converged yet.", ConvergenceWarning)

    def _minimize_lbfgs(self, X, targets, weights):
        """Full-batch L-BFGS in the core (fastmlp/lbfgs.hpp) on scikit-learn's objective: the network's loss
        times the gradient scale (see the module's note) plus the constant that makes it scikit-learn's
        value, so that ``tol`` (on the largest gradient entry) and the relative-reduction test stop it
        where SciPy's L-BFGS-B stops scikit-learn's."""
        xs, ys = self._model._check_data(X, targets)
        scale, offset = self._gradient_scale, self._loss_offset

        def reported(objective):  # scikit-learn's loss_ from the objective
            return self._sklearn_loss((objective - offset) / scale)

        def on_iteration(iteration, objective):
            if self.verbose:
                print(f"Iteration {iteration}, loss = {reported(objective):.8f}")
            return False

        result = _dtypes.core(self._dtype.name).minimize_lbfgs(
            self._model._core, xs[0], ys[0], weights, max_iter=int(self.max_iter), max_fun=int(self.max_fun),
            gtol=float(self.tol), scale=float(scale), offset=float(offset), on_iteration=on_iteration)
        self.n_iter_ = min(result["iterations"], self.max_iter)
        self.loss_ = reported(result["loss"])
        self.loss_curve_.extend(reported(value) for value in result["losses"])
        if result["status"] != 0:
            message = (f"lbfgs failed to converge after {self.n_iter_} iteration(s) (status={result['status']}):\n"
                       f"{result['message']}\n")
            if self.n_iter_ == self.max_iter:
                message += (f"\nIncrease the number of iterations to improve the convergence "
                            f"(max_iter={self.max_iter}).")
            message += ("\nYou might also want to scale the data as shown in:\n"
                        "    https://scikit-learn.org/stable/modules/preprocessing.html")
            warnings.warn(message, ConvergenceWarning)

    def _initialize(self, n_outputs, n_hidden, dtype):
        """Attributes a first fit starts from (warm_start and partial_fit keep them); ``dtype`` is the
        network's float type, that of the first fit's input."""
        self._dtype = np.dtype(dtype)
        self._rng = check_random_state(self.random_state)
        self.n_outputs_ = n_outputs
        self.n_layers_ = n_hidden + 2
        self.out_activation_ = self._output_activation()
        self._gradient_scale = self._sklearn_gradient_scale()
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self._no_improvement_count = 0
        self._best_weights = None
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(_AUTO_BATCH_SIZE, n_samples)
        if self.batch_size > n_samples:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going to be clipped")
        return int(np.clip(self.batch_size, 1, n_samples))

    def _split_validation(self, X, targets, labels, sample_weight):
        """Holds out ``validation_fraction`` of the rows (stratified for binary classification, by the
        encoded targets, as scikit-learn 1.9 does); the held-out weights weigh the validation score."""
        stratify = targets.astype(bool) if labels is not None and targets.shape[1] == 1 else None
        train, held_out = train_test_split(np.arange(X.shape[0]), random_state=self._rng,
                                           test_size=self.validation_fraction, stratify=stratify)
        if len(held_out) < 2:
            raise ValueError("The validation set is too small. Increase 'validation_fraction' or the size "
                             "of your dataset.")
        truth = labels[held_out] if labels is not None else targets[held_out]
        if sample_weight is None:
            return X[train], targets[train], None, (X[held_out], truth, None)
        return X[train], targets[train], sample_weight[train], (X[held_out], truth, sample_weight[held_out])

    def _build_model(self, n_features, hidden, n_outputs, l2, weights=None):
        """A Sequential with scikit-learn's layers and initialisation, compiled with its optimizer."""
        seeds = self._rng.randint(np.iinfo(np.int32).max, size=len(hidden) + 2)
        widths = [n_features, *hidden, n_outputs]
        # scikit-learn's Glorot-style bound: factor 6, or 2 for logistic units; biases drawn alike.
        factor = 2.0 if self.activation == "logistic" else 6.0
        dtype = self._dtype.name  # explicit on every layer: the global floatx does not matter here
        stack = [layers.Input((n_features,), dtype=dtype)]
        for index, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
            bound = np.sqrt(factor / (fan_in + fan_out))
            last = index == len(widths) - 2
            stack.append(layers.Dense(
                fan_out, activation=_OUTPUT_ACTIVATIONS[self.out_activation_] if last else
                _ACTIVATIONS[self.activation],
                kernel_initializer=initializers.RandomUniform(-bound, bound, seed=int(seeds[index])),
                bias_initializer=initializers.RandomUniform(-bound, bound, seed=int(seeds[index]) + 1),
                kernel_regularizer=regularizers.L2(l2) if l2 > 0 else None, dtype=dtype))
        model = models.Sequential(stack)
        model._core.set_seed(int(seeds[-1]))  # the shuffling order, from random_state too
        if weights is not None:
            model.set_weights(weights)
        model.compile(optimizer=self._make_optimizer(), loss=_LOSSES[self.out_activation_])
        return model

    def _make_optimizer(self):
        if self.solver == "sgd":
            self._current_learning_rate = float(self.learning_rate_init)
            return optimizers.SGD(self._current_learning_rate * self._gradient_scale, momentum=float(self.momentum),
                                  nesterov=bool(self.nesterovs_momentum))
        return optimizers.Adam(float(self.learning_rate_init), beta_1=float(self.beta_1), beta_2=float(self.beta_2),
                               epsilon=float(self.epsilon) / self._gradient_scale)

    def _set_learning_rate(self, rate):
        """scikit-learn's SGD rate (the core's is scaled, see the module's note)."""
        self._current_learning_rate = rate
        self._model.optimizer.learning_rate = rate * self._gradient_scale

    def _expose_weights(self):
        """coefs_ and intercepts_ as scikit-learn names them: views on the network's weights."""
        dense = self._model.layers
        self.coefs_ = [layer.kernel for layer in dense]
        self.intercepts_ = [layer.bias for layer in dense]
        self._exposed = (self.coefs_, self.intercepts_, list(self.coefs_), list(self.intercepts_))

    def _assigned_weights(self):
        """The arrays of coefs_ and intercepts_ in the network's order (kernel, bias, kernel, ...) when
        they are no longer the views _expose_weights made (a user assigned them, or an item of them), else
        None. Writing into the views needs nothing: they are the network's memory."""
        coefs, intercepts = self.__dict__.get("coefs_"), self.__dict__.get("intercepts_")
        if coefs is None or intercepts is None:
            return None
        exposed = self.__dict__.get("_exposed")
        if (exposed is not None and coefs is exposed[0] and intercepts is exposed[1]
                and len(coefs) == len(exposed[2]) and all(a is b for a, b in zip(coefs, exposed[2]))
                and len(intercepts) == len(exposed[3]) and all(a is b for a, b in zip(intercepts, exposed[3]))):
            return None
        if len(coefs) != len(intercepts):
            raise ValueError(f"coefs_ has {len(coefs)} arrays and intercepts_ {len(intercepts)}: one of each per "
                             "layer")
        return [np.asarray(array) for pair in zip(coefs, intercepts) for array in pair]

    def _adopt_assigned_weights(self):
        """Assigned coefs_/intercepts_ become the network's weights, as scikit-learn's estimators, which read
        those attributes, use what is assigned (a fitted estimator only; an unfitted one's are read by
        its next fit)."""
        if not hasattr(self, "_model"):
            return
        weights = self._assigned_weights()
        if weights is None:
            return
        current = self._model.get_weights()
        if [np.shape(w) for w in weights] != [w.shape for w in current]:
            raise ValueError(f"coefs_ and intercepts_ were assigned arrays of shapes {[np.shape(w) for w in weights]}, "
                             f"but the network's are {[w.shape for w in current]}; fit a new estimator for "
                             "another architecture")
        self._model.set_weights([np.asarray(w, dtype=self._dtype) for w in weights])
        self._expose_weights()

    # ---- prediction ----------------------------------------------------------------------------------
    def _outputs(self, X):
        """The network's outputs for X (validated as at fit time), (samples, outputs) in its dtype."""
        check_is_fitted(self, "_model")
        self._adopt_assigned_weights()
        X = validate_data(self, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32), reset=False)
        return self._model.predict(_model_input(X, self._dtype), verbose=0)

    def _predicted_for_score(self, X):
        """The network's outputs for held-out rows, or None where they are not finite (scikit-learn then
        scores NaN, and early stopping carries on from the best weights so far)."""
        outputs = self._model.predict(X, verbose=0)
        return outputs if np.isfinite(outputs).all() else None

    def _checked_input(self, X, first_pass):
        """X (validated: float32 or float64) as the network reads it. A first fit takes X's dtype for
        the network; later fits (warm_start, partial_fit) convert X to the network's dtype."""
        return _model_input(X, X.dtype if first_pass or not hasattr(self, "_dtype") else self._dtype)

    # ---- conversion to and from scikit-learn's own estimators -------------------------------------------
    @classmethod
    def from_sklearn(cls, estimator):
        """This estimator made from a fitted ``sklearn.neural_network`` one of the same kind: the same
        parameters, weights (in their dtype: float64, or float32 for an estimator trained on float32
        data), classes and iteration counts, so that it predicts the same
        and trains on (``partial_fit``, or ``fit`` with ``warm_start``) from there. The optimizer's
        moments are not carried over: scikit-learn keeps them private.

        Raises:
            TypeError: for an estimator of another kind; ValueError: for an unfitted one.
        """
        from sklearn import neural_network
        source = getattr(neural_network, cls.__name__)
        if not isinstance(estimator, source):
            raise TypeError(f"{cls.__name__}.from_sklearn takes a sklearn.neural_network.{cls.__name__}, "
                            f"got {type(estimator).__name__}")
        check_is_fitted(estimator, "coefs_")
        parameters = estimator.get_params()
        converted = cls(**{key: parameters[key] for key in cls().get_params()})
        if hasattr(estimator, "_label_binarizer"):
            converted._label_binarizer = estimator._label_binarizer
            converted.classes_ = estimator.classes_
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(estimator, name):
                setattr(converted, name, getattr(estimator, name))
        hidden = [int(kernel.shape[1]) for kernel in estimator.coefs_[:-1]]
        dtype = np.float32 if np.asarray(estimator.coefs_[0]).dtype == np.float32 else np.float64
        converted._initialize(int(estimator.n_outputs_), len(hidden), dtype)
        converted.n_iter_, converted.t_ = estimator.n_iter_, estimator.t_
        converted.loss_curve_ = list(getattr(estimator, "loss_curve_", []) or [])
        weights = [np.asarray(array, dtype) for pair in zip(estimator.coefs_, estimator.intercepts_)
                   for array in pair]
        converted._model = converted._build_model(int(estimator.n_features_in_), hidden, int(estimator.n_outputs_),
                                                  0.0, weights)
        converted._expose_weights()
        return converted

    def to_sklearn(self):
        """A fitted ``sklearn.neural_network`` estimator of the same kind with this one's parameters,
        weights (in float64) and classes: it predicts the same (to float32 rounding) and trains on with
        ``warm_start``."""
        check_is_fitted(self, "_model")
        self._adopt_assigned_weights()
        from fastmlp._interop import from_sklearn, to_sklearn
        multilabel = getattr(getattr(self, "_label_binarizer", None), "y_type_", "") == "multilabel-indicator"
        classes = getattr(self, "classes_", None) if not multilabel else None
        converted = to_sklearn.sklearn_from_graph(from_sklearn.graph_from_sklearn(self), classes=classes,
                                                  **self.get_params())
        if hasattr(self, "_label_binarizer"):
            converted._label_binarizer = self._label_binarizer
            converted.classes_ = self.classes_
        converted.n_iter_, converted.t_, converted.loss_curve_ = self.n_iter_, self.t_, list(self.loss_curve_)
        return converted

    # ---- pickling --------------------------------------------------------------------------------------
    def __getstate__(self):
        # The model pickles as its model file's bytes, with its optimizer state, so that a restored
        # estimator predicts identically and partial_fit continues where it stopped. coefs_ and
        # intercepts_ are views on its weights: they are made again from the restored model.
        self._adopt_assigned_weights()
        state = dict(super().__getstate__())
        state.pop("coefs_", None)
        state.pop("intercepts_", None)
        state.pop("_exposed", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if getattr(self, "_model", None) is not None:
            if "_dtype" not in self.__dict__:  # pickled before float64 networks: always float32
                self._dtype = np.dtype(np.float32)
            self._expose_weights()


def _model_input(X, dtype):
    """X as a network of ``dtype`` reads it without another copy: a sparse matrix stays sparse (CSR,
    its values in ``dtype``; never densified), a dense one becomes C-contiguous ``dtype`` (no copy
    when it already is)."""
    if sparse.issparse(X):
        X = X.tocsr() if X.format != "csr" else X
        if X.dtype != dtype:
            X = X.astype(dtype)
        if not X.has_canonical_format:
            # scikit-learn's own estimators take unsorted or duplicate indices silently; the model
            # refuses them (Model.fit says how to fix them), so a sorted copy of the sparse matrix is made.
            X = X.copy()
            X.sum_duplicates()
        return X
    return np.ascontiguousarray(X, dtype=dtype)


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """scikit-learn's ``MLPClassifier`` (same parameters, attributes and methods) trained by fastmlp.

    Softmax outputs with categorical cross-entropy for multiclass targets; logistic outputs with
    binary cross-entropy for binary and multilabel-indicator targets. Labels may be of any type
    (strings, integers, ...): ``classes_`` maps them to output units. ``solver='lbfgs'`` minimises the loss
    over the whole data set with the core's L-BFGS (fastmlp/lbfgs.hpp).
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    @available_if(_BaseMLP._stochastic)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over (X, y). The first call needs ``classes`` (every label y may ever hold),
        unless y is a multilabel indicator matrix."""
        self._validate_params_when_changed()
        if not hasattr(self, "classes_"):
            multilabel = type_of_target(y).startswith("multilabel")  # the columns of y are the classes
            if classes is None and not multilabel:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y if multilabel else classes)
            self.classes_ = self._label_binarizer.classes_
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"`classes={np.unique(classes)}` is not the same as on the first call to "
                             f"partial_fit, which was {self.classes_}")
        return self._fit(X, y, sample_weight, incremental=True)

    def _validate_input(self, X, y, incremental, reset):
        ready = self._ready_input(X, y, "biufU") if incremental and not reset else None
        if ready is not None:
            X, y = ready
            targets = self._encoded_labels(y, X.dtype)
            if targets is not None:
                return X, targets, y
        else:
            X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                                 dtype=(np.float64, np.float32), reset=reset)
            X = self._checked_input(X, reset)
            if y.ndim == 2 and y.shape[1] == 1:
                y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start and not incremental and set(classes) != set(self.classes_):
                raise ValueError("warm_start can only be used where `y` has the same classes as in the previous "
                                 f"call to fit. Previously got {self.classes_}, `y` has {classes}")
            if len(np.setdiff1d(classes, self.classes_)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. "
                                 f"'y' has {classes}.")
        targets = np.ascontiguousarray(self._label_binarizer.transform(y), dtype=X.dtype)
        return X, targets, y

    def _encoded_labels(self, y, dtype):
        """LabelBinarizer's encoding of 1-D labels that are all in classes_ (which it keeps sorted), by one
        binary search instead of its checks; None where that does not apply (then the general path checks
        y and says what is wrong)."""
        kind = self._label_binarizer.y_type_
        if y.ndim != 1 or kind not in ("binary", "multiclass"):
            return None
        classes = self.classes_
        try:
            index = np.minimum(np.searchsorted(classes, y), len(classes) - 1)
            if not bool((classes[index] == y).all()):
                return None
        except TypeError:  # labels that do not compare with the classes
            return None
        if kind == "binary":
            return (index == 1).astype(dtype).reshape(-1, 1)
        targets = np.zeros((len(y), len(classes)), dtype=dtype)
        targets[np.arange(len(y)), index] = 1
        return targets

    def _output_activation(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _sklearn_gradient_scale(self):
        # scikit-learn's binary log loss sums over the logistic outputs; Keras's averages them.
        return 1.0 if self.out_activation_ == "softmax" else float(self.n_outputs_)

    def _sklearn_loss(self, fastmlp_loss):
        return fastmlp_loss * self._gradient_scale

    def _sklearn_loss_offset(self, targets, weights):
        return 0.0  # the log losses of both agree but for their scale

    def _validation_score(self, X, y, sample_weight):
        outputs = self._predicted_for_score(X)
        if outputs is None:
            return np.nan
        return accuracy_score(y, self._labels(outputs), sample_weight=sample_weight)

    def _labels(self, outputs):
        return self._label_binarizer.inverse_transform(outputs.ravel() if self.n_outputs_ == 1 else outputs)

    def predict(self, X):
        """The predicted class of each row (an indicator row for multilabel problems)."""
        return self._labels(self._outputs(X))

    def predict_proba(self, X):
        """Class probabilities, one column per entry of ``classes_`` (rows sum to 1 unless multilabel), in
        the network's dtype (that of the training data, as in scikit-learn)."""
        probabilities = self._outputs(X)
        if self.n_outputs_ == 1:
            return np.column_stack([1 - probabilities[:, 0], probabilities[:, 0]])
        if self.out_activation_ == "softmax":
            probabilities = probabilities / probabilities.sum(axis=1, keepdims=True)  # to the dtype's rounding
        return probabilities

    def predict_log_proba(self, X):
        """The logarithm of predict_proba."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))


class MLPRegressor(RegressorMixin, _BaseMLP):
    """scikit-learn's ``MLPRegressor`` (same parameters, attributes and methods) trained by fastmlp, for
    1-D or 2-D targets: identity outputs and the squared error (``loss="squared_error"``), or exponential
    outputs and the Poisson deviance (``loss="poisson"``, for counts and other non-negative targets)."""

    _parameter_constraints = {**_BaseMLP._parameter_constraints,
                              "loss": [StrOptions({"squared_error", "poisson"})]}

    # scikit-learn's signature, loss first, so that MLPRegressor(**sklearn_estimator.get_params()) works.
    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000):
        super().__init__(hidden_layer_sizes=hidden_layer_sizes, activation=activation, solver=solver, alpha=alpha,
                         batch_size=batch_size, learning_rate=learning_rate, learning_rate_init=learning_rate_init,
                         power_t=power_t, max_iter=max_iter, shuffle=shuffle, random_state=random_state, tol=tol,
                         verbose=verbose, warm_start=warm_start, momentum=momentum,
                         nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
                         validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         n_iter_no_change=n_iter_no_change, max_fun=max_fun)
        self.loss = loss

    @available_if(_BaseMLP._stochastic)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over (X, y), continuing from the previous call's network and optimizer state."""
        self._validate_params_when_changed()
        return self._fit(X, y, sample_weight, incremental=True)

    def _validate_input(self, X, y, incremental, reset):
        ready = self._ready_input(X, y, "biuf") if incremental and not reset else None
        if ready is not None:
            X, y = ready
        else:
            X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True, y_numeric=True,
                                 dtype=(np.float64, np.float32), reset=reset)
            X = self._checked_input(X, reset)
            if y.ndim == 2 and y.shape[1] == 1:
                y = column_or_1d(y, warn=True)
        targets = np.ascontiguousarray(y.reshape(len(y), -1), dtype=X.dtype)
        if not reset and hasattr(self, "n_outputs_") and targets.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {targets.shape[1]} output(s), but the network was fitted with "
                             f"{self.n_outputs_}")
        return X, targets, None

    def _output_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _sklearn_gradient_scale(self):
        # scikit-learn's Poisson deviance sums over the outputs; Keras's Poisson loss averages them.
        return float(self.n_outputs_) if self.out_activation_ == "exp" else self.n_outputs_ / 2.0

    def _sklearn_loss_offset(self, targets, weights):
        """What scikit-learn's half Poisson deviance adds to ``scale`` times Keras's Poisson loss: the mean
        over rows of Σ (y log y - y), which depends on the targets only."""
        if self.out_activation_ != "exp":
            return 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = (xlogy(targets, targets) - targets).astype(np.float64).sum(axis=1)
        return float(np.average(terms, weights=weights))

    def _sklearn_loss(self, fastmlp_loss):
        """Half the mean squared error plus scikit-learn's penalty. fastmlp's loss carries the penalty
        divided by n_outputs (see the module note); the rest is added at the current weights. For the
        Poisson loss, the half deviance: the scaled loss plus the targets' constant."""
        if self.out_activation_ == "exp":
            return fastmlp_loss * self._gradient_scale + self._loss_offset
        squares = sum(float(np.square(w, dtype=np.float64).sum()) for w in self.coefs_)
        return 0.5 * fastmlp_loss + 0.5 * self.alpha * squares / self._penalty_rows * (1.0 - 1.0 / self.n_outputs_)

    def _validation_score(self, X, y, sample_weight):
        outputs = self._predicted_for_score(X)
        if outputs is None:
            return np.nan
        return r2_score(y, outputs.astype(np.float64), sample_weight=sample_weight)

    def predict(self, X):
        """The predicted values: shape (n_samples,) for one output, else (n_samples, n_outputs), in the
        network's dtype (that of the training data, as in scikit-learn)."""
        outputs = self._outputs(X)
        return outputs.ravel() if outputs.shape[1] == 1 else outputs
