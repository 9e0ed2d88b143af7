"""fastmlp.sklearn against scikit-learn: its estimator checks, its tools (Pipeline, GridSearchCV,
cross_val_score, pickle) and its MLP's numbers (attributes, loss, updates, accuracy)."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification, make_multilabel_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastmlp.sklearn import MLPClassifier, MLPRegressor, Perceptron

NOT_CONVERGED = "ignore::sklearn.exceptions.ConvergenceWarning"
# Every check passes. check_sample_weight_equivalence_on_*_data compares integer weights with repeated rows
# at rtol 1e-7 on float64 data: the estimators train in float64 on it, as scikit-learn's MLPs do, so the
# sums taken in another order differ by float64 rounding (trained in float32 they were 1e-7 to 2.4e-7
# apart; test_integer_sample_weights_equal_repeated_rows measures both dtypes).
# (check_methods_subset_invariance passes: the product kernel sums a row alone as in a batch.)


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits(return_X_y=True)
    return train_test_split(x / 16.0, y, test_size=0.25, random_state=0)


@pytest.fixture(scope="module")
def blobs():
    x, y = make_classification(n_samples=300, n_features=8, n_informative=5, n_classes=3, random_state=0)
    return StandardScaler().fit_transform(x), y


@pytest.mark.filterwarnings(NOT_CONVERGED)
@parametrize_with_checks([MLPClassifier(max_iter=100, random_state=0), MLPRegressor(max_iter=100, random_state=0),
                          Perceptron()])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_fitted_attributes_have_sklearns_shapes(digits):
    x_train, _, y_train, _ = digits
    x, y = x_train[:300], y_train[:300]
    cases = [(y, MLPClassifier, SklearnMLPClassifier), (y % 2 == 0, MLPClassifier, SklearnMLPClassifier),
             (np.column_stack([y % 2, y > 4, y == 3]), MLPClassifier, SklearnMLPClassifier),
             (x[:, :3] @ [1.0, 2.0, 3.0], MLPRegressor, SklearnMLPRegressor),
             (x[:, :2], MLPRegressor, SklearnMLPRegressor)]
    for target, ours_class, theirs_class in cases:
        params = dict(hidden_layer_sizes=(20, 7), max_iter=3, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            ours, theirs = ours_class(**params).fit(x, target), theirs_class(**params).fit(x, target)
        for name in ("n_features_in_", "n_outputs_", "n_layers_", "out_activation_", "n_iter_", "t_"):
            assert getattr(ours, name) == getattr(theirs, name), name
        assert [c.shape for c in ours.coefs_] == [c.shape for c in theirs.coefs_]
        assert [b.shape for b in ours.intercepts_] == [b.shape for b in theirs.intercepts_]
        assert len(ours.loss_curve_) == len(theirs.loss_curve_) == 3 and ours.loss_ == ours.loss_curve_[-1]
        assert ours.best_loss_ == min(ours.loss_curve_)
        assert ours.predict(x).shape == theirs.predict(x).shape
        if ours_class is MLPClassifier:
            np.testing.assert_array_equal(ours.classes_, theirs.classes_)
            assert ours.predict_proba(x).shape == theirs.predict_proba(x).shape


def sklearn_loss(estimator, x, y):
    """scikit-learn's objective, written out: the data loss plus 0.5 * alpha * ||W||^2 / n_samples."""
    activations = x
    for index, (w, b) in enumerate(zip(estimator.coefs_, estimator.intercepts_)):
        z = activations @ w.astype(np.float64) + b
        activations = np.maximum(z, 0) if index < len(estimator.coefs_) - 1 else z
    if estimator.out_activation_ == "identity":
        data = ((y.reshape(len(y), -1) - activations) ** 2).mean() / 2
    elif estimator.out_activation_ == "softmax":
        p = np.exp(activations - activations.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        data = -np.log(p[np.arange(len(y)), np.searchsorted(estimator.classes_, y)]).mean()
    else:
        p = 1 / (1 + np.exp(-activations))
        data = -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum() / len(y)
    return data + 0.5 * estimator.alpha * sum((w.astype(np.float64) ** 2).sum() for w in estimator.coefs_) / len(y)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "sample_weight"])
@pytest.mark.parametrize("task", ["multiclass", "multilabel", "regression"])
def test_loss_and_sgd_updates_are_sklearns(task, weighted):
    """The translations of the module note: same objective value and the same SGD step as scikit-learn,
    with and without sample weights."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5))
    y = {"multiclass": rng.integers(0, 3, 64), "multilabel": rng.integers(0, 2, (64, 3)),
         "regression": rng.normal(size=(64, 2))}[task]
    ours_class, theirs_class = ((MLPRegressor, SklearnMLPRegressor) if task == "regression"
                                else (MLPClassifier, SklearnMLPClassifier))
    params = dict(hidden_layer_sizes=(6,), solver="sgd", momentum=0.0, alpha=0.5, batch_size=64, shuffle=False,
                  learning_rate_init=0.1, random_state=0)
    # scikit-learn wants classes on a first partial_fit, for multilabel targets the column indices.
    extra = {"multiclass": {"classes": np.unique(y)}, "multilabel": {"classes": np.arange(3)}, "regression": {}}[task]
    if weighted:
        extra["sample_weight"] = rng.uniform(0.0, 3.0, 64)
    ours, theirs = ours_class(**params), theirs_class(**params)
    ours.partial_fit(x, y, **extra)
    theirs.partial_fit(x, y, **extra)
    theirs.coefs_ = [c.astype(np.float64) for c in ours.coefs_]
    theirs.intercepts_ = [b.astype(np.float64) for b in ours.intercepts_]
    expected_loss = sklearn_loss(ours, x, y)
    extra.pop("classes", None)
    ours.partial_fit(x, y, **extra)
    theirs.partial_fit(x, y, **extra)
    # One full batch: the loss reported is the objective at the weights before the step. For several
    # regression outputs part of the penalty is added at the weights after it (see _sklearn_loss).
    tolerance = 2e-3 if task == "regression" else 1e-5
    if not weighted:
        assert ours.loss_ == pytest.approx(expected_loss, rel=tolerance)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=tolerance)
    for mine, reference in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        print("largest weight difference after one step:", np.abs(mine - reference).max())
        np.testing.assert_allclose(mine, reference, rtol=1e-4, atol=1e-5)


# float64 data trains in float64: weights and repeats agree to its rounding; float32 only to float32's.
WEIGHTS_VS_REPEATS_TOLERANCE = {np.float64: dict(rtol=1e-12, atol=1e-14, loss=1e-12),
                                np.float32: dict(rtol=1e-4, atol=2e-5, loss=1e-5)}


@pytest.mark.filterwarnings(NOT_CONVERGED)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_integer_sample_weights_equal_repeated_rows(estimator_class, solver, dtype):
    """A weight of k counts as k copies of the row (0: the row is left out), penalty included."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 4))
    y = rng.integers(0, 3, 40) if estimator_class is MLPClassifier else x @ [1.0, -2.0, 0.5, 0.0]
    x = x.astype(dtype)
    weights = rng.integers(0, 4, 40)
    params = dict(hidden_layer_sizes=(5,), solver=solver, alpha=0.3, max_iter=30, random_state=0)
    weighted = estimator_class(**params).fit(x, y, sample_weight=weights)
    repeated = estimator_class(**params).fit(np.repeat(x, weights, axis=0), np.repeat(y, weights))
    tolerance = WEIGHTS_VS_REPEATS_TOLERANCE[dtype]
    worst = max(np.abs(mine - reference).max() for mine, reference in
                zip(weighted.coefs_ + weighted.intercepts_, repeated.coefs_ + repeated.intercepts_))
    print(f"{np.dtype(dtype).name}: largest difference between weights and repeated rows {worst:.2e}")
    for mine, reference in zip(weighted.coefs_ + weighted.intercepts_, repeated.coefs_ + repeated.intercepts_):
        assert mine.dtype == dtype
        np.testing.assert_allclose(mine, reference, rtol=tolerance["rtol"], atol=tolerance["atol"])
    assert weighted.loss_ == pytest.approx(repeated.loss_, rel=tolerance["loss"])
    # All ones is no weighting at all, bit for bit.
    ones = estimator_class(**params).fit(x, y, sample_weight=np.ones(40))
    np.testing.assert_array_equal(ones.coefs_[0], estimator_class(**params).fit(x, y).coefs_[0])


@pytest.mark.filterwarnings(NOT_CONVERGED)
def test_sample_weight_errors_and_weighted_validation_score(blobs):
    x, y = blobs
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    with pytest.raises(ValueError, match="sample_weight"):
        clf.fit(x, y, sample_weight=np.ones(len(x) - 1))
    with pytest.raises(ValueError, match="[Nn]egative"):
        clf.fit(x, y, sample_weight=-np.ones(len(x)))
    with pytest.raises(ValueError, match="non-zero"):
        clf.fit(x, y, sample_weight=np.zeros(len(x)))
    # Early stopping scores the held-out rows with their weights: class 0 weighted 0 everywhere makes
    # the validation score the accuracy on the other classes alone.
    weights = (y != 0).astype(float)
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, early_stopping=True, random_state=0)
    clf.fit(x, y, sample_weight=weights)
    held_out = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, early_stopping=True, random_state=0)
    held_out.fit(x, y)
    assert clf.validation_scores_ != held_out.validation_scores_
    assert 0.0 <= min(clf.validation_scores_) and max(clf.validation_scores_) <= 1.0


def test_digits_accuracy_matches_sklearn(digits):
    x_train, x_test, y_train, y_test = digits
    params = dict(hidden_layer_sizes=(50,), activation="logistic", max_iter=200, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPClassifier(**params).fit(x_train, y_train).score(x_test, y_test)
        theirs = SklearnMLPClassifier(**params).fit(x_train, y_train).score(x_test, y_test)
    print(f"held-out digits accuracy: fastmlp {ours:.4f}, scikit-learn {theirs:.4f}")
    assert ours >= 0.95
    assert ours >= theirs - 0.02


@pytest.mark.filterwarnings(NOT_CONVERGED)
def test_predict_proba_rows_sum_to_one_and_string_labels(blobs):
    x, y = blobs
    names = np.array(["cat", "dog", "emu"])[y]
    clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=500, random_state=0).fit(x, names)
    np.testing.assert_array_equal(clf.classes_, ["cat", "dog", "emu"])
    proba = clf.predict_proba(x)
    assert proba.shape == (300, 3) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(clf.predict(x), clf.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(clf.predict_log_proba(x), np.log(proba))
    assert clf.score(x, names) > 0.9  # measured 0.930; scikit-learn's MLPClassifier: 0.927
    binary = MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0).fit(x, names == "dog")
    assert binary.out_activation_ == "logistic" and binary.predict_proba(x).shape == (300, 2)
    np.testing.assert_allclose(binary.predict_proba(x).sum(axis=1), 1.0)


@pytest.mark.filterwarnings(NOT_CONVERGED)
def test_multilabel_indicator_targets():
    x, y = make_multilabel_classification(n_samples=200, n_features=10, n_classes=4, random_state=0)
    clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(x / x.max(), y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 4
    prediction = clf.predict(x / x.max())
    assert prediction.shape == (200, 4) and set(np.unique(prediction)) <= {0, 1}
    # Measured 0.775 (scikit-learn's MLPClassifier: 0.774) against 0.61 for the best constant columns.
    constant = np.maximum(y.mean(axis=0), 1 - y.mean(axis=0)).mean()
    print(f"multilabel accuracy per label: {(prediction == y).mean():.3f}, constant columns: {constant:.3f}")
    assert (prediction == y).mean() > constant + 0.1


@pytest.mark.filterwarnings(NOT_CONVERGED)
def test_regressor_1d_and_2d_targets():
    x, y = make_regression(n_samples=300, n_features=6, n_targets=2, noise=1.0, random_state=0)
    x = StandardScaler().fit_transform(x)
    y = y / y.std(axis=0)
    two = MLPRegressor(hidden_layer_sizes=(32,), max_iter=400, random_state=0).fit(x, y)
    one = MLPRegressor(hidden_layer_sizes=(32,), max_iter=400, random_state=0).fit(x, y[:, 0])
    assert two.predict(x).shape == (300, 2) and one.predict(x).shape == (300,)
    assert two.out_activation_ == "identity" and two.score(x, y) > 0.95 and one.score(x, y[:, 0]) > 0.95


def test_training_is_deterministic_given_random_state(blobs):
    x, y = blobs
    first, second, other = (MLPClassifier(hidden_layer_sizes=(16,), max_iter=20, random_state=seed)
                            for seed in (3, 3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for clf in (first, second, other):
            clf.fit(x, y)
    np.testing.assert_array_equal(first.predict_proba(x), second.predict_proba(x))
    assert first.loss_curve_ == second.loss_curve_ and first.loss_curve_ != other.loss_curve_


def test_convergence_warning_when_max_iter_is_reached(blobs):
    x, y = blobs
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(5\) reached"):
        MLPClassifier(max_iter=5, random_state=0).fit(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = MLPClassifier(max_iter=500, tol=1e-2, random_state=0).fit(x, y)  # stops on its own
    assert clf.n_iter_ < 500


def test_pickle_round_trip_predicts_identically_and_keeps_training_state(blobs):
    x, y = blobs
    clf = MLPClassifier(hidden_layer_sizes=(16,), solver="sgd", max_iter=1, random_state=0)
    clf.partial_fit(x, y, classes=np.unique(y))
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(x), clf.predict_proba(x))
    assert restored.loss_curve_ == clf.loss_curve_ and restored.get_params() == clf.get_params()
    # The optimizer's momentum travelled too: both continue identically.
    clf.partial_fit(x, y)
    restored.partial_fit(x, y)
    np.testing.assert_array_equal(restored.coefs_[0], clf.coefs_[0])
    assert restored.loss_ == clf.loss_


def test_partial_fit_needs_classes_then_improves(blobs):
    x, y = blobs
    clf = MLPClassifier(hidden_layer_sizes=(16,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(x, y)
    for _ in range(15):
        clf.partial_fit(x, y, classes=[0, 1, 2])
    assert clf.n_iter_ == 1 and clf.t_ == 15 * len(x)  # n_iter_: the last call's epochs (scikit-learn >= 1.9)
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    with pytest.raises(ValueError, match="not in `self.classes_`"):
        clf.partial_fit(x, y + 5)
    # Chunks of other sizes (or weights) change the penalty's strength but keep Adam's state, as
    # scikit-learn's optimizer carries across partial_fit calls.
    steps = clf._model.optimizer.iterations
    clf.partial_fit(x[:50], y[:50])
    assert clf._model.optimizer.iterations == steps + 1
    assert clf._model.layers[0].kernel_regularizer.l2 == pytest.approx(clf.alpha / (2 * 50))
    with pytest.raises(ValueError, match="early_stopping"):
        MLPRegressor(early_stopping=True).partial_fit(x, y)


def test_warm_start_continues_from_the_last_weights(blobs):
    x, y = blobs
    params = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm = MLPClassifier(warm_start=True, **params).fit(x, y)
        after_first = warm.loss_
        warm.fit(x, y)
        cold = MLPClassifier(**params).fit(x, y).fit(x, y)
    # n_iter_ counts the last fit's epochs, as scikit-learn 1.9's; loss_curve_ goes on across warm fits.
    assert warm.n_iter_ == 5 and len(warm.loss_curve_) == 10 and cold.n_iter_ == 5
    assert warm.loss_curve_[5] < after_first  # the sixth epoch starts where the fifth ended
    assert cold.loss_curve_[0] > after_first  # without warm_start, fit starts over
    with pytest.raises(ValueError, match="warm_start can only be used"):
        warm.fit(x, np.where(y == 2, 1, y))


def test_early_stopping_holds_out_data_and_keeps_the_best_weights(digits):
    x_train, x_test, y_train, y_test = digits
    clf = MLPClassifier(hidden_layer_sizes=(50,), early_stopping=True, n_iter_no_change=3, tol=0.0,
                        validation_fraction=0.2, max_iter=200, random_state=0).fit(x_train, y_train)
    assert clf.best_loss_ is None and len(clf.validation_scores_) == clf.n_iter_ < 200
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    # It stopped n_iter_no_change + 1 epochs after the last epoch that matched its best score (as in
    # scikit-learn, a tie with the best resets the count) and went back to the best epoch's weights.
    scores = clf.validation_scores_
    last_best_epoch = len(scores) - scores[::-1].index(clf.best_validation_score_)
    assert clf.n_iter_ == last_best_epoch + 4
    assert clf.score(x_test, y_test) > 0.9


def test_learning_rate_modes(blobs):
    x, y = blobs
    params = dict(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=0.2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        constant = MLPClassifier(max_iter=5, **params).fit(x, y)
        inverse = MLPClassifier(learning_rate="invscaling", power_t=0.25, max_iter=5, **params).fit(x, y)
        # A huge tol makes every epoch count as "no improvement": the adaptive rate is divided by 5
        # each time n_iter_no_change is exceeded, and training stops once it falls below 1e-6.
        adaptive = MLPClassifier(learning_rate="adaptive", tol=100.0, n_iter_no_change=2, max_iter=100,
                                 **params).fit(x, y)
    assert constant._current_learning_rate == 0.2
    assert inverse._current_learning_rate == pytest.approx(0.2 / (5 * len(x) + 1) ** 0.25)
    assert inverse._model.optimizer.learning_rate == pytest.approx(inverse._current_learning_rate, rel=1e-6)
    # The first epoch improves on best_loss_=inf; after it, every n_iter_no_change + 1 = 3 epochs the
    # rate is divided by 5 until 0.2 / 5**8 <= 1e-6, and 3 epochs later training stops.
    assert adaptive._current_learning_rate == pytest.approx(0.2 / 5 ** 8)
    assert adaptive.n_iter_ == 1 + 3 * 9


def test_invalid_parameters_name_the_parameter(blobs):
    x, y = blobs
    cases = [(dict(alpha=-1.0), "'alpha' parameter"), (dict(activation="softmax"), "'activation' parameter"),
             (dict(hidden_layer_sizes=(10, 0)), "hidden_layer_sizes"),
             (dict(solver="rmsprop"), "'solver' parameter"),
             (dict(learning_rate="cyclic"), "'learning_rate' parameter"),
             (dict(batch_size=0), "'batch_size' parameter"), (dict(momentum=1.5), "'momentum' parameter"),
             (dict(max_iter=0), "'max_iter' parameter")]
    for params, message in cases:
        with pytest.raises(ValueError, match=message):
            MLPClassifier(**params).fit(x, y)
    with pytest.raises(ValueError, match="'loss' parameter"):
        MLPRegressor(loss="huber").fit(x, y)
    with pytest.raises(ValueError, match="'eta0' parameter"):
        Perceptron(eta0=0).fit(x, y)


@pytest.mark.filterwarnings(NOT_CONVERGED)
def test_pipeline_grid_search_with_two_processes_and_cross_validation(digits):
    x_train, x_test, y_train, y_test = digits
    pipeline = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(32,), max_iter=30, random_state=0))
    grid = GridSearchCV(pipeline, {"mlpclassifier__alpha": [1e-4, 1.0], "mlpclassifier__learning_rate_init":
                                   [1e-3, 1e-2]}, cv=3, n_jobs=2).fit(x_train, y_train)
    assert grid.best_score_ > 0.9 and grid.score(x_test, y_test) > 0.9
    assert len(grid.cv_results_["mean_test_score"]) == 4
    x, y = make_regression(n_samples=300, n_features=5, noise=1.0, random_state=0)
    scores = cross_val_score(make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(16,), max_iter=200,
                                                                          learning_rate_init=0.01, random_state=0)),
                             x, y / y.std(), cv=3, n_jobs=2)
    print("cross-validated R^2:", scores)
    assert scores.shape == (3,) and scores.min() > 0.9


def test_perceptron_learns_and_or_but_not_xor():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    for name, y in (("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1])):
        p = Perceptron(max_iter=100, tol=None).fit(x, y)
        assert p.score(x, y) == 1.0, name
        assert p.coef_.shape == (1, 2) and p.intercept_.shape == (1,)
    with pytest.warns(ConvergenceWarning):
        xor = Perceptron(max_iter=50, tol=None).fit(x, [0, 1, 1, 0])
    assert xor.score(x, [0, 1, 1, 0]) <= 0.75  # no line separates XOR
    online = Perceptron()
    for _ in range(10):
        online.partial_fit(x, ["no", "no", "no", "yes"], classes=["no", "yes"])
    np.testing.assert_array_equal(online.predict(x), ["no", "no", "no", "yes"])
