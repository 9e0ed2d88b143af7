"""The parts of ``keras.backend`` that dense-network scripts call."""

from fastmlp._dtypes import floatx, set_floatx
from fastmlp.utils import clear_session
from fastmlp.variables import Variable

__all__ = ["Variable", "clear_session", "floatx", "set_floatx"]
