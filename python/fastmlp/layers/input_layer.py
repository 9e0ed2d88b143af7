"""Input and InputLayer: the shape of one sample, declared before the first layer of a model.
``Input`` returns the symbolic tensor the functional API calls layers on."""

from fastmlp import _dtypes
from fastmlp._naming import unique_name
from fastmlp.layers.keras_tensor import KerasTensor
from fastmlp.layers.layer import input_shape_of


class InputLayer:
    """Declares an input of a model: ``InputLayer((64,))`` for 64 features per sample; its ``output``
    is the KerasTensor that ``Input`` returns. Samples of several dimensions, such as (28, 28) images,
    need a Flatten() layer next. It has no weights. ``dtype`` is the model's (None: floatx() now); the
    layers called on it must compute in the same one."""

    trainable = False
    built = True
    weights = trainable_weights = non_trainable_weights = ()

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
                 **kwargs):
        if shape is None:
            shape = kwargs.pop("input_shape", None)
        if shape is None and batch_shape is not None:
            shape = tuple(batch_shape)[1:]
        kwargs.pop("optional", None)
        if kwargs:
            raise TypeError(f"Input got unexpected arguments: {', '.join(kwargs)}")
        if shape is None:
            raise ValueError("Input requires a shape, such as Input((64,))")
        if sparse:
            raise ValueError("Input(sparse=True) is not supported: fastmlp takes dense inputs")
        self.dtype = _dtypes.standardize(dtype, "Input")
        self.shape_without_batch = input_shape_of(shape, "Input")
        self.shape = (None, *self.shape_without_batch)
        self.batch_size = batch_size
        self.name = name if name is not None else unique_name("input_layer")
        self.output = KerasTensor(self.shape, self)

    @property
    def output_shape(self):
        return self.shape

    def count_params(self):
        return 0

    def get_weights(self):
        return []

    def set_weights(self, weights):
        if list(weights):
            raise ValueError(f"InputLayer {self.name!r} has no weights")

    def get_config(self):
        return {"batch_shape": [None, *self.shape_without_batch], "dtype": self.dtype, "sparse": False,
                "name": self.name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("sparse", None)
        config.pop("ragged", None)
        return cls(**config)

    def __repr__(self):
        return f"<InputLayer name={self.name!r}, shape={self.shape}, dtype={self.dtype}>"


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, **kwargs):
    """Keras's ``Input``: a symbolic tensor for samples of ``shape`` (without the batch dimension), to
    call layers on (the functional API) or to start a Sequential model with."""
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, batch_shape=batch_shape,
                      name=name, **kwargs).output


def input_layer_of(value):
    """The InputLayer behind an InputLayer or an Input tensor, or None."""
    if isinstance(value, InputLayer):
        return value
    if isinstance(value, KerasTensor) and value.is_input:
        return value._layer
    return None
