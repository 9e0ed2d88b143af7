"""Input and InputLayer: the shape of one sample, declared before the first layer of a model."""

from fastmlp._naming import unique_name
from fastmlp.layers.layer import input_shape_of


class InputLayer:
    """Declares the input shape of a model: ``Input((64,))`` for 64 features per sample. Samples of
    several dimensions, such as (28, 28) images, need a Flatten() layer next."""

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
                 **kwargs):
        if shape is None:
            shape = kwargs.pop("input_shape", None)
        if shape is None and batch_shape is not None:
            shape = tuple(batch_shape)[1:]
        if kwargs:
            raise TypeError(f"Input got unexpected arguments: {', '.join(kwargs)}")
        if shape is None:
            raise ValueError("Input requires a shape, such as Input((64,))")
        if sparse:
            raise ValueError("Input(sparse=True) is not supported: fastmlp takes dense inputs")
        if dtype not in (None, "float32"):
            raise ValueError(f"Input dtype must be None or 'float32' (fastmlp computes in float32), got {dtype!r}")
        self.shape_without_batch = input_shape_of(shape, "Input")
        self.shape = (None, *self.shape_without_batch)
        self.batch_size = batch_size
        self.name = name if name is not None else unique_name("input_layer")

    def get_config(self):
        return {"batch_shape": [None, *self.shape_without_batch], "name": self.name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("dtype", None)
        config.pop("sparse", None)
        return cls(**config)


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, **kwargs):
    """Keras's ``Input``: the shape of one sample, without the batch dimension."""
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, batch_shape=batch_shape,
                      name=name, **kwargs)
