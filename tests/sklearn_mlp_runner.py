"""Runs scikit-learn's own MLP tests (sklearn/neural_network/tests/test_mlp.py, from the installed
scikit-learn) against fastmlp.sklearn: the file is copied into a temporary folder with only its import of
MLPClassifier and MLPRegressor switched to fastmlp.sklearn, and run by pytest with scikit-learn's conftest as
a plugin (its fixtures, such as global_random_seed). Prints one line per test, ``PASSED name`` or
``FAILED name``, then ``passed N of M``.

    python tests/sklearn_mlp_runner.py [--sklearn] [pytest arguments...]

``--sklearn`` runs the file unchanged (scikit-learn's own estimators), to see the runner itself is sound.
The exit status is 0 when the tests ran, whatever they reported; tests/test_sklearn_own_tests.py asserts
which pass.
"""

import os
import pathlib
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

ORIGINAL_IMPORT = "from sklearn.neural_network import MLPClassifier, MLPRegressor"
FASTMLP_IMPORT = "from fastmlp.sklearn import MLPClassifier, MLPRegressor"


def sklearn_test_file():
    """The installed scikit-learn's test_mlp.py."""
    import sklearn
    path = pathlib.Path(sklearn.__file__).parent / "neural_network" / "tests" / "test_mlp.py"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: this scikit-learn was installed without its tests")
    return path


def switched_source(source):
    """The test file's text with its one import of the estimators pointing at fastmlp.sklearn."""
    if source.count(ORIGINAL_IMPORT) != 1:
        raise ValueError(f"test_mlp.py no longer imports the estimators as {ORIGINAL_IMPORT!r}; update the runner")
    return source.replace(ORIGINAL_IMPORT, FASTMLP_IMPORT)


def run(use_sklearn=False, pytest_arguments=()):
    """Runs the tests and returns {test id: "passed" | "failed" | "skipped"}."""
    source = sklearn_test_file().read_text()
    if not use_sklearn:
        source = switched_source(source)
    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        (folder / "test_mlp.py").write_text(source)
        report = folder / "report.xml"
        # -c /dev/null and --rootdir: the project's pytest settings (warnings as errors, its conftest) stay out;
        # the tests run under scikit-learn's own settings, from its conftest.
        command = [sys.executable, "-m", "pytest", "-q", "-p", "sklearn.conftest", "-p", "no:cacheprovider",
                   "-c", os.devnull, "--rootdir", str(folder), f"--junitxml={report}", str(folder / "test_mlp.py"),
                   *pytest_arguments]
        finished = subprocess.run(command, cwd=folder, capture_output=True, text=True)
        if not report.is_file():
            raise RuntimeError(f"pytest wrote no report:\n{finished.stdout}\n{finished.stderr}")
        return _outcomes(ElementTree.parse(report).getroot()), finished.stdout


def _outcomes(root):
    results = {}
    for case in root.iter("testcase"):
        name = case.get("name")
        if case.find("failure") is not None or case.find("error") is not None:
            results[name] = "failed"
        elif case.find("skipped") is not None:
            results[name] = "skipped"
        else:
            results[name] = "passed"
    return results


def main(arguments):
    use_sklearn = "--sklearn" in arguments
    results, output = run(use_sklearn, [a for a in arguments if a != "--sklearn"])
    for name in sorted(results):
        print(f"{results[name].upper():8} {name}")
    if "-v" in arguments:
        print(output)
    passed = sum(outcome == "passed" for outcome in results.values())
    print(f"passed {passed} of {len(results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
