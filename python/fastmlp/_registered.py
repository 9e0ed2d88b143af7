"""Python views of the types the C++ core registers (layers, activations, losses, optimizers, schedules,
initializers, regularizers and metrics).

The core describes every type once: its class name, aliases, parameters, defaults and which parameters
are required (``_core.registries[kind].entries()``). The Python classes are made from that description:
their signatures, defaults and configs come from the core, and each object holds its state in a core
object (``self._core``) created from its config. Nothing here lists a type's parameters, so a type
registered in C++ appears in Python, with Keras's signature, without a line of Python.
"""

import functools
import inspect

import numpy as np

from fastmlp import _core, _dtypes

_KEYWORD = inspect.Parameter.POSITIONAL_OR_KEYWORD


def registry(kind, dtype="float32"):
    """The core's registry of ``kind``. Layers have one per dtype (``_core.float64`` makes float64
    layers); every other kind serves both dtypes from one."""
    return _dtypes.core(dtype).registries[kind] if kind == "layer" else _core.registries[kind]


@functools.lru_cache(maxsize=None)
def entries(kind):
    """{class name: the core's entry (class_name, aliases, defaults, required)} for every type of ``kind``."""
    return {entry["class_name"]: entry for entry in registry(kind).entries()}


def entry(kind, name):
    """The entry of the type called ``name`` (class name or alias), or None."""
    class_name = registry(kind).class_name_of(name)
    return None if class_name is None else entries(kind)[class_name]


def display_default(key, value):
    """A core default as a Keras signature shows it: None for a linear activation, "glorot_uniform" for
    a default-configured GlorotUniform."""
    if key == "activation" and value == "linear":
        return None
    if isinstance(value, dict) and key.endswith("_initializer"):
        found = entry("initializer", value["class_name"])
        if found and value.get("config", {}) == found["defaults"] and found["aliases"]:
            return found["aliases"][0]
    return value


def to_config_value(key, value):
    """A constructor argument in the form the core's config takes: activations, initializers,
    regularizers and schedules given as names, functions or objects become serialized configs."""
    from fastmlp import activations, initializers, regularizers
    if key == "activation":
        return activations._to_config(value)
    if key.endswith("_initializer"):
        return initializers._to_config(value)
    if key.endswith("_regularizer"):
        return regularizers._to_config(value)
    if isinstance(value, CoreView):
        return value.serialize()
    if isinstance(value, np.ndarray):  # np.linspace(0, 1, 5) for a list of thresholds
        return value.tolist()
    return value


def from_config_value(key, value):
    """A config value as the object Keras shows for the attribute: the activation function, an
    Initializer or Regularizer object."""
    from fastmlp import activations, initializers, regularizers
    if key == "activation":
        return activations._from_config(value)
    if key.endswith("_initializer"):
        return initializers.deserialize(value)
    if key.endswith("_regularizer"):
        return None if value is None else regularizers.deserialize(value)
    return value


def signature(kind, class_name, skip=(), extra=()):
    """The Python signature of a registered type: the core's parameters in order, required ones first
    and without a default, the others with the core's default; then ``extra`` (inspect.Parameter),
    the arguments only Python takes. Parameters in ``skip`` are left to the caller."""
    found = entries(kind)[class_name]
    defaults, required = found["defaults"], found["required"]
    parameters = [inspect.Parameter(key, _KEYWORD) for key in defaults if key in required and key not in skip]
    parameters += [inspect.Parameter(key, _KEYWORD, default=display_default(key, value))
                   for key, value in defaults.items() if key not in required and key not in skip]
    return inspect.Signature(parameters + list(extra))


def _check_text(value, where, key=None):
    """Raises ValueError for a string the core cannot take: one that is not valid Unicode (a lone
    surrogate, as ``json.loads`` makes from ``"\\udcff"``), which pybind11 reported as a RuntimeError."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{where} {key or 'argument'} is {value!r}, text that is not valid Unicode "
                             "(it holds a lone surrogate)") from None
    elif isinstance(value, dict):
        for name, item in value.items():
            _check_text(name, where, "key")
            _check_text(item, where, name)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_text(item, where, key)


class CoreView:
    """An object whose state is a core object of a registered kind, made from its config.

    Subclasses set ``_kind``; classes made by ``view_classes`` also set ``_class_name`` and a
    ``__signature__`` from the core. Reading an attribute named like a config parameter returns its
    value (``Adam().beta_1``), as Keras objects expose their arguments.
    """

    _kind = None
    _class_name = None

    def __init__(self, *args, **kwargs):
        bound = self.__signature__.bind(*args, **kwargs)
        bound.apply_defaults()
        self._create(dict(bound.arguments))

    def _create(self, arguments):
        """Creates the core object from the constructor's arguments (a subclass takes its own first)."""
        config = {key: to_config_value(key, value) for key, value in arguments.items()}
        _check_text(config, type(self).__name__)
        self._core = self._registry().create(self._class_name, config)

    def _registry(self):
        """The core registry this object's core object is created from."""
        return registry(self._kind)

    @classmethod
    def _wrap(cls, core):
        """The view of an existing core object (from a loaded model), sharing it."""
        view = cls.__new__(cls)
        view._core = core
        return view

    def get_config(self):
        return dict(self._core.config)

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def serialize(self):
        """Keras's serialized form, {"class_name": ..., "config": ...}, as configs hold objects."""
        return {"class_name": self._core.class_name, "config": self.get_config()}

    def __getattr__(self, name):
        # Only reached for names that are not ordinary attributes: parameters, read from the core.
        if name.startswith("_"):
            raise AttributeError(name)
        config = self.__dict__.get("_core")
        config = config.config if config is not None else {}
        if name in config:
            return from_config_value(name, config[name])
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __reduce__(self):
        # A copy is an object made from the same config (fresh state, as Keras's copies of objects).
        return (_from_config, (type(self), self.get_config()))

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == other.get_config()

    __hash__ = object.__hash__


def _from_config(cls, config):
    return cls.from_config(config)


def view_of(core, namespace):
    """The Python object for a core object: an instance of the class named like it in ``namespace``."""
    return namespace[core.class_name]._wrap(core)


def deserialize(kind, config, namespace, get):
    """An object of ``kind`` from Keras's serialized form ({"class_name", "config"}), or from a name
    through ``get``; its class is the one named like it in ``namespace``."""
    if isinstance(config, str):
        return get(config)
    return view_of(registry(kind).deserialize(config), namespace)


def view_classes(kind, base, module, documentation, skip=(), extra=()):
    """A subclass of ``base`` for every type of ``kind`` the core registers, named like it (Keras's class
    names) and defined in ``module``; a type that already has a class in ``module`` keeps it. Returns
    {class name: class}."""
    classes = {}
    namespace = vars(__import__(module, fromlist=["_"]))
    for class_name in entries(kind):
        existing = namespace.get(class_name)
        if isinstance(existing, type) and issubclass(existing, base) and existing._class_name == class_name:
            classes[class_name] = existing
            continue
        cls = type(class_name, (base,), {"_class_name": class_name, "__module__": module,
                                          "__signature__": signature(kind, class_name, skip, extra)})
        cls.__doc__ = documentation(cls)
        classes[class_name] = cls
    return classes


def describe(cls, what):
    """A docstring for a class made from the core: what it is, and its signature."""
    return f"{what} ``{cls.__name__}{cls.__signature__}``, computed by fastmlp's C++ core."
