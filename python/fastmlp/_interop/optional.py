"""Imports of the optional packages the interop code needs, with an error that says how to get them."""

import importlib


def require(module, purpose, extra):
    """The imported ``module``, or ImportError naming the pip command that brings it.

    Args:
        module: the module to import, e.g. ``"h5py"``.
        purpose: what needs it, for the message ("reading Keras files").
        extra: fastmlp's optional extra that installs it.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        package = module.split(".")[0]
        raise ImportError(f"{purpose} needs {package}: pip install {package} "
                          f"(or pip install 'fastmlp[{extra}]')") from None
