"""The parts of ``keras.backend`` that dense-network scripts call."""

from fastmlp.utils import clear_session


def floatx():
    """The float type of every weight and computation: fastmlp always computes in float32."""
    return "float32"


__all__ = ["clear_session", "floatx"]
