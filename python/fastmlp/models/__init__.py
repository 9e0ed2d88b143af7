"""Models: Keras's functional Model and Sequential over the C++ model, clone_model, load_model (fastmlp's
and Keras's files), and conversions from scikit-learn and PyTorch and to scikit-learn."""

from fastmlp.models.cloning import clone_model
from fastmlp.models.converting import from_sklearn, from_torch, to_sklearn
from fastmlp.models.loading import load_model, model_from_config, model_from_json
from fastmlp.models.model import Model
from fastmlp.models.sequential import Sequential

__all__ = ["Model", "Sequential", "clone_model", "from_sklearn", "from_torch", "load_model", "model_from_config",
           "model_from_json", "to_sklearn"]
