"""Models: Keras's Sequential over the C++ model, clone_model and load_model."""

from fastmlp.models.cloning import clone_model
from fastmlp.models.loading import load_model
from fastmlp.models.sequential import Sequential

__all__ = ["Sequential", "clone_model", "load_model"]
