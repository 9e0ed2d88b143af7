"""Keras's ``keras.config`` settings that concern a dense network: the default dtype of new layers.

    import fastmlp as fm
    fm.config.set_floatx("float64")   # layers and inputs made from now on compute in float64
    fm.config.floatx()                # "float64"
"""

from fastmlp._dtypes import floatx, set_floatx

__all__ = ["floatx", "set_floatx"]
