"""Models: Keras's functional Model and Sequential over the C++ model, clone_model and load_model."""

from fastmlp.models.cloning import clone_model
from fastmlp.models.loading import load_model, model_from_config
from fastmlp.models.model import Model
from fastmlp.models.sequential import Sequential

__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_config"]
