"""docs/api.md must name every public name the package exports, so that the reference stays complete."""

import inspect
import pathlib

import pytest

import fastmlp as fm
import fastmlp.sklearn
import fastmlp.wrappers

DOCS = (pathlib.Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text()
MODULES = [fm.layers, fm.activations, fm.losses, fm.optimizers, fm.optimizers.schedules, fm.regularizers, fm.constraints,
           fm.initializers, fm.metrics, fm.callbacks, fm.models, fm.saving, fm.utils, fm.backend, fm.datasets,
           fm.ops, fastmlp.sklearn, fm.distribution, fastmlp.wrappers]


def public_names(module):
    """__all__ where the module has one; otherwise what it defines itself (not what it imports)."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return [name for name, value in vars(module).items()
            if not name.startswith("_") and not inspect.ismodule(value)
            and getattr(value, "__module__", None) == module.__name__]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_public_name_is_documented(module):
    missing = [name for name in public_names(module) if f"`{name}" not in DOCS]
    assert not missing, f"{module.__name__}: add {missing} to docs/api.md"


def test_top_level_and_model_methods_are_documented():
    missing = [name for name in fm.__all__ if f"`{name}" not in DOCS]
    for cls in (fm.Model, fm.Sequential):
        missing += [name for name in vars(cls) if not name.startswith("_") and f"`{name}" not in DOCS]
    assert not missing, f"add {missing} to docs/api.md"
