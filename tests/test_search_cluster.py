"""Hyperparameter search on Dask and Ray through joblib: GridSearchCV and RandomizedSearchCV over
fastmlp.sklearn estimators and over Keras-style models (fastmlp.wrappers) run on a local cluster
(127.0.0.1 only), give the scores of the same search in this process, and each worker uses its
share of the cores (fastmlp's thread count there is 1 with one core per worker, not every core)."""

import os
import warnings

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

import fastmlp as fm
from fastmlp.sklearn import MLPClassifier
from fastmlp.wrappers import SKLearnClassifier, SKLearnRegressor

WORKERS = 2


def digits():
    x, y = load_digits(return_X_y=True)
    return (x[:600] / 16.0).astype(np.float32), y[:600]


def build(X, y, hidden=16, learning_rate=0.01):
    """A Keras-style model builder; seeded, so that a search gives the same scores wherever it runs."""
    fm.utils.set_random_seed(hidden)
    model = fm.Sequential([fm.layers.Input((X.shape[1],)), fm.layers.Dense(hidden, activation="relu"),
                           fm.layers.Dense(y.shape[1], activation="softmax")])
    model.compile(optimizer=fm.optimizers.Adam(learning_rate=learning_rate), loss="categorical_crossentropy")
    return model


def searches():
    """A grid over a fastmlp.sklearn estimator and a randomized search over a Keras-style model."""
    grid = GridSearchCV(MLPClassifier(max_iter=15, batch_size=32, learning_rate_init=0.01, random_state=0),
                        {"hidden_layer_sizes": [(8,), (32,)], "alpha": [1e-4, 1e-2]}, cv=2, n_jobs=WORKERS)
    randomized = RandomizedSearchCV(
        SKLearnClassifier(build, fit_kwargs={"epochs": 8, "batch_size": 32}),
        {"model_kwargs": [{"hidden": h, "learning_rate": r} for h in (8, 32) for r in (0.003, 0.03)]},
        n_iter=3, cv=2, random_state=0, n_jobs=WORKERS)
    return grid, randomized


def run_searches(backend=None):
    x, y = digits()
    results = []
    for search in searches():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # 15 iterations are enough to compare
            if backend is None:
                search.set_params(n_jobs=1).fit(x, y)
            else:
                with joblib.parallel_backend(backend):
                    search.fit(x, y)
        results.append((search.cv_results_["mean_test_score"], search.best_params_))
    return results


@pytest.fixture(scope="module")
def local_results():
    return run_searches()


def check_same_results(remote, local):
    for (scores, best), (local_scores, local_best) in zip(remote, local):
        # Thread counts differ (1 per worker here, the default in this process): float rounding only.
        np.testing.assert_allclose(scores, local_scores, atol=0.02)
        assert best == local_best
        assert np.all(scores > 0.5)  # they learned something: 10 classes, chance is 0.1


def worker_threads():
    import fastmlp
    return fastmlp.get_num_threads()


def test_wrappers_are_scikit_learn_estimators():
    x, y = digits()
    clf = SKLearnClassifier(build, model_kwargs={"hidden": 32}, fit_kwargs={"epochs": 10}).fit(x, y)
    assert clf.score(x, y) > 0.8
    assert list(clf.classes_) == list(range(10))
    np.testing.assert_allclose(clf.predict_proba(x[:5]).sum(axis=1), 1, rtol=1e-5)
    assert clf.model_.output_shape == (None, 10) and len(clf.history_["loss"]) == 10
    # A compiled model works too: each fit starts from fresh weights.
    template = build(x, fm.utils.to_categorical(y, 10))
    before = template.get_weights()
    from_model = SKLearnClassifier(template, fit_kwargs={"epochs": 2}).fit(x, y)
    assert from_model.model_ is not template
    np.testing.assert_array_equal(template.get_weights()[0], before[0])
    warm = SKLearnClassifier(build, warm_start=True, fit_kwargs={"epochs": 1}).fit(x, y)
    first = warm.model_
    warm.fit(x, y)
    assert warm.model_ is first and first.optimizer.iterations == 2 * int(np.ceil(len(x) / 32))
    # Labels other than 0..n-1 come back as given.
    words = np.array(["even", "odd"])[y % 2]
    assert set(SKLearnClassifier(build, fit_kwargs={"epochs": 3}).fit(x, words).predict(x)) <= {"even", "odd"}
    reg = SKLearnRegressor(lambda X, y: _regressor(X), fit_kwargs={"epochs": 30}).fit(x, x[:, 10] * 2.0)
    assert reg.predict(x).shape == (len(x),) and reg.score(x, x[:, 10] * 2.0) > 0.5
    with pytest.raises(ValueError, match="must be compiled"):
        SKLearnClassifier(fm.Sequential([fm.layers.Input((64,)), fm.layers.Dense(10)])).fit(x, y)


def test_wrappers_take_functional_models_of_one_input_and_output():
    x, y = digits()
    fm.utils.set_random_seed(1)
    inputs = fm.Input((64,))
    hidden = fm.layers.Dense(32, activation="relu")(inputs)
    outputs = fm.layers.Dense(10, activation="softmax")(fm.layers.Add()([hidden, fm.layers.Dense(32)(inputs)]))
    functional = fm.Model(inputs, outputs)
    functional.compile(optimizer=fm.optimizers.Adam(learning_rate=0.01), loss="categorical_crossentropy")
    clf = SKLearnClassifier(functional, fit_kwargs={"epochs": 10}).fit(x, y)
    assert isinstance(clf.model_, fm.Model) and clf.model_ is not functional
    assert clf.score(x, y) > 0.8
    # Two inputs cannot take scikit-learn's one X: a clear error, not a failure inside fit.
    a, b = fm.Input((32,)), fm.Input((32,))
    two = fm.Model([a, b], fm.layers.Dense(10, activation="softmax")(fm.layers.Concatenate()([a, b])))
    two.compile(optimizer="adam", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match="one input and one output"):
        SKLearnClassifier(two).fit(x, y)


def _regressor(X):
    model = fm.Sequential([fm.layers.Input((X.shape[1],)), fm.layers.Dense(16, activation="relu"),
                           fm.layers.Dense(1)])
    model.compile(optimizer=fm.optimizers.Adam(learning_rate=0.01), loss="mse")
    return model


@pytest.mark.slow
def test_search_on_a_dask_local_cluster(local_results):
    pytest.importorskip("distributed")  # the test extra installs it
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        # One core per worker: fastmlp runs one thread in each (Dask's nanny sets OMP_NUM_THREADS).
        assert set(client.run(worker_threads).values()) == {1}
        check_same_results(run_searches("dask"), local_results)


@pytest.mark.slow
def test_search_on_ray(local_results):
    ray = pytest.importorskip("ray")  # the test extra installs it
    from ray.util.joblib import register_ray

    # Ray's workers import this module for the functions the search and the checks send them.
    path = os.pathsep.join(p for p in (os.path.dirname(__file__), os.environ.get("PYTHONPATH")) if p)
    ray.init(num_cpus=WORKERS, include_dashboard=False, log_to_driver=False, configure_logging=False,
             runtime_env={"env_vars": {"PYTHONPATH": path}})
    try:
        register_ray()
        # Ray gives each task one CPU and sets OMP_NUM_THREADS to match: one fastmlp thread per task.
        assert ray.get(ray.remote(worker_threads).remote()) == 1
        check_same_results(run_searches("ray"), local_results)
    finally:
        ray.shutdown()
