"""Saving and loading whole models, and Keras's registry of the objects a saved model names.

    model.save("model.fmlp")
    model = fastmlp.saving.load_model("model.fmlp")   # also fastmlp.models.load_model

One file holds the architecture, the weights, the compile configuration and the training state. The
format is shared with the C++ library (``fastmlp::save_model`` / ``fastmlp::load_model``) and
described byte by byte in docs/model-format.md.

A saved config names every object by its class (Keras 3's form: ``{"module", "class_name", "config",
"registered_name"}``). Reading one, fastmlp finds the class among its own types and among the objects
registered here (``@register_keras_serializable``, ``get_custom_objects()``, a ``custom_object_scope``
or the ``custom_objects=`` argument of the loaders), and nowhere else: the module a config names is
never imported, so a file cannot make fastmlp run code it was not given.
"""

import inspect
import json
import threading
import types

import numpy as np

from fastmlp import _core
from fastmlp.models import load_model

# Raised (as a ValueError) for files that are foreign, truncated, damaged or from a newer fastmlp.
ModelFileError = _core.ModelFileError
# The newest format version this fastmlp writes and reads.
FORMAT_VERSION = _core.MODEL_FORMAT_VERSION

# "package>name" -> the class or function registered under it, and back (Keras's two global dicts).
_GLOBAL_CUSTOM_OBJECTS = {}
_GLOBAL_CUSTOM_NAMES = {}
# The objects of the custom_object_scopes this thread is in (Keras keeps them per thread).
_scope = threading.local()

# Keras's module of each kind of object, as its serialized configs name it, and fastmlp's module for it.
_KINDS = (("layers", "keras.layers"), ("losses", "keras.losses"), ("metrics", "keras.metrics"),
          ("optimizers", "keras.optimizers"), ("initializers", "keras.initializers"),
          ("regularizers", "keras.regularizers"), ("schedules", "keras.optimizers.schedules"))
# Where Keras looks for a function serialized by name (Keras's BUILTIN_MODULES that fastmlp has).
_FUNCTION_MODULES = ("activations", "losses", "metrics")


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """The same as ``model.save(filepath, overwrite, include_optimizer)``."""
    model.save(filepath, overwrite=overwrite, include_optimizer=include_optimizer)


# ---- the registry ----------------------------------------------------------------------------------
def register_keras_serializable(package="Custom", name=None):
    """A decorator registering a class (which needs ``get_config``) or a function under
    ``"package>name"`` (``name``: the object's ``__name__`` when None), so that configs naming it can be
    read back, as Keras's ``keras.saving.register_keras_serializable``. Registering again (re-running a
    notebook cell) replaces the earlier object, as Keras 3 does."""
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"register_keras_serializable: package must be a string without '>', got {package!r}")

    def decorator(arg):
        class_name = name if name is not None else getattr(arg, "__name__", None)
        if not isinstance(class_name, str):
            raise TypeError(f"register_keras_serializable: {arg!r} has no __name__; pass name=")
        registered_name = f"{package}>{class_name}"
        if inspect.isclass(arg) and not hasattr(arg, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _GLOBAL_CUSTOM_OBJECTS[registered_name] = arg
        _GLOBAL_CUSTOM_NAMES[arg] = registered_name
        if inspect.isclass(arg):
            arg._registered_name = registered_name
        return arg

    return decorator


def get_custom_objects():
    """The live global dict of registered objects (``{"package>name": object}``); objects set in a
    ``custom_object_scope`` are not in it. Adding to it registers an object under that key."""
    return _GLOBAL_CUSTOM_OBJECTS


def _scoped_objects():
    return getattr(_scope, "objects", {})


class CustomObjectScope:
    """``with custom_object_scope({"MyLayer": MyLayer}):`` makes the objects known to every
    deserialization in the block (in this thread), as Keras's ``keras.saving.custom_object_scope``.
    Scopes nest: an inner scope adds to the outer one's objects."""

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for objects in custom_objects:
            if objects is None:
                continue
            if not isinstance(objects, dict):
                raise TypeError(f"custom_object_scope takes dicts of {{name: object}}, got {objects!r}")
            self.custom_objects.update(objects)
        self.backup = None

    def __enter__(self):
        self.backup = _scoped_objects()
        _scope.objects = {**self.backup, **self.custom_objects}
        return self

    def __exit__(self, *args):
        _scope.objects = self.backup


custom_object_scope = CustomObjectScope


def get_registered_name(obj):
    """The name ``obj`` is registered under ("package>name"), or its ``__name__`` when it is not."""
    if obj in _GLOBAL_CUSTOM_NAMES:
        return _GLOBAL_CUSTOM_NAMES[obj]
    return obj.__name__


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function known as ``name``: from the custom_object_scope, the global registry,
    ``custom_objects`` or ``module_objects``, in that order (Keras's), or None."""
    for objects in (_scoped_objects(), _GLOBAL_CUSTOM_OBJECTS, custom_objects, module_objects):
        if objects and name in objects:
            return objects[name]
    return None


# ---- serializing -----------------------------------------------------------------------------------
def _fastmlp_kind(obj):
    """(Keras's module, fastmlp's kind name) of a fastmlp object, or None for anything else."""
    from fastmlp import initializers, layers, losses, metrics, optimizers, regularizers
    from fastmlp.optimizers import schedules
    bases = {"layers": layers.Layer, "losses": losses.Loss, "metrics": metrics.Metric,
             "optimizers": optimizers.Optimizer, "initializers": initializers.Initializer,
             "regularizers": regularizers.Regularizer, "schedules": schedules.LearningRateSchedule}
    for kind, module in _KINDS:
        # Only fastmlp's own classes: a user's subclass is written under its own module and registered name.
        if isinstance(obj, bases[kind]) and type(obj).__module__.startswith("fastmlp."):
            return module, kind
    return None


def _keras_layer(layer):
    """A fastmlp layer as Keras 3 serializes it: Keras's class and config where Keras has the layer
    (so Keras reads it back), fastmlp's otherwise."""
    from fastmlp._interop import fastmlp_models
    try:
        class_name, config = fastmlp_models._keras_layer(layer)
    except ValueError:
        return {"module": "fastmlp.layers", "class_name": type(layer).__name__, "config": layer.get_config(),
                "registered_name": None}
    config["dtype"] = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": layer.dtype},
                       "registered_name": None}
    serialized = {"module": "keras.layers", "class_name": class_name, "config": config, "registered_name": None}
    if layer.built and getattr(layer._core, "input_dim", None):
        serialized["build_config"] = {"input_shape": [None, int(layer._core.input_dim)]}
    return serialized


def _keras_model(model):
    """A fastmlp model as Keras 3 serializes it (what ``to_json`` writes): Keras's own form, built
    through the .keras writer's graph, for a built model whose layers Keras has; otherwise fastmlp's
    config under Keras's keys, which fastmlp reads back."""
    from fastmlp._interop import fastmlp_models, keras_config
    try:
        graph = fastmlp_models.graph_from_model(model, include_optimizer=False)
        serialized = keras_config.config_from_graph(graph)
        for node in graph.layers:
            keras_config.check_keras_expressible(node)
        serialized["compile_config"] = keras_config.compile_config(graph.compile)
        return serialized
    except ValueError:
        class_name = "Sequential" if type(model).__name__ == "Sequential" else "Functional"
        return {"module": "keras" if class_name == "Sequential" else "keras.src.models.functional",
                "class_name": class_name, "config": model.get_config(),
                "registered_name": None if class_name == "Sequential" else "Functional"}


def _with_keras_locators(value, module):
    """fastmlp's {"class_name", "config"} (a schedule inside an optimizer's config) with Keras's keys."""
    if isinstance(value, dict) and set(value) == {"class_name", "config"}:
        return {"module": module, "class_name": value["class_name"], "config": value["config"],
                "registered_name": None}
    return value


def serialize_keras_object(obj):
    """Keras 3's serialized form of ``obj``: a dict ``{"module", "class_name", "config",
    "registered_name"}`` for a fastmlp layer, model, loss, metric, optimizer, schedule, initializer or
    regularizer (under Keras's module and class, so Keras reads it back), for an instance of a user's
    class with ``get_config`` (under its module and registered name) and for a function (by its
    registered name); lists, dicts and plain values as they are."""
    from fastmlp.models import Model
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if isinstance(obj, (list, tuple)):
        items = [serialize_keras_object(item) for item in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, np.ndarray) and obj.ndim > 0:
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.item()
    if isinstance(obj, types.FunctionType) or (callable(obj) and hasattr(obj, "__name__") and not inspect.isclass(obj)
                                               and not hasattr(obj, "get_config")):
        if obj.__name__ == "<lambda>":
            raise ValueError("a lambda cannot be serialized (its code would have to be run to read it back); "
                             "use a named function registered with register_keras_serializable")
        return {"module": "builtins", "class_name": "function", "config": get_registered_name(obj),
                "registered_name": "function"}
    if isinstance(obj, Model) and type(obj).__module__.startswith("fastmlp."):
        return _keras_model(obj)
    found = _fastmlp_kind(obj)
    if found is not None:
        module, kind = found
        if kind == "layers":
            return _keras_layer(obj)
        config = {key: _with_keras_locators(value, "keras.optimizers.schedules" if key == "learning_rate" else
                                            f"keras.{key.rsplit('_', 1)[-1]}s")
                  for key, value in obj.get_config().items()}
        return {"module": module, "class_name": type(obj).__name__, "config": config, "registered_name": None}
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize object {obj!r} of type {type(obj)}. To be serializable, a class must "
                        "implement the `get_config()` method.")
    config = obj.get_config()
    if not isinstance(config, dict):
        raise TypeError(f"The `get_config()` method of {obj!r} should return a dict. It returned: {config!r}")
    return {"module": type(obj).__module__, "class_name": type(obj).__name__,
            "config": serialize_keras_object(config), "registered_name": get_registered_name(type(obj))}


# ---- deserializing ---------------------------------------------------------------------------------
def _fastmlp_modules():
    from fastmlp import activations, initializers, layers, losses, metrics, optimizers, regularizers
    from fastmlp.optimizers import schedules
    return {"layers": layers, "losses": losses, "metrics": metrics, "optimizers": optimizers,
            "initializers": initializers, "regularizers": regularizers, "schedules": schedules,
            "activations": activations}


def _kind_of_module(module):
    """fastmlp's kind for a Keras module name ("keras.layers", "keras.src.layers.core.dense",
    "keras.src.backend.torch.optimizers.torch_adam", "fastmlp.losses"), or None. Only read, never imported."""
    if not isinstance(module, str):
        return None
    parts = module.split(".")
    if "schedules" in parts:
        return "schedules"
    for kind, _ in _KINDS:
        if kind in parts:
            return kind
    return None


def _builtin_function(name):
    modules = _fastmlp_modules()
    for kind in _FUNCTION_MODULES:
        found = getattr(modules[kind], name, None)
        if isinstance(found, types.FunctionType):
            return found
    return None


def _builtin_class(class_name, module):
    """fastmlp's class called ``class_name`` in the kind ``module`` names (or in any kind when it
    names none fastmlp has), with that kind, or (None, None)."""
    from fastmlp.layers import Layer
    modules = _fastmlp_modules()
    kind = _kind_of_module(module)
    for candidate in ([kind] if kind else []) + [k for k, _ in _KINDS if k != kind]:
        found = getattr(modules[candidate], class_name, None)
        if inspect.isclass(found) and (candidate != "layers" or issubclass(found, Layer)):
            return found, candidate
    return None, None


def _fastmlp_object(kind, class_name, config):
    """A fastmlp object of ``kind`` from Keras's config of it (Keras's options fastmlp lacks dropped when
    they are at Keras's default, refused otherwise)."""
    from fastmlp import _dtypes
    from fastmlp._interop import fastmlp_models
    from fastmlp._interop.graph import LayerNode
    module = _fastmlp_modules()[kind]
    if kind == "layers":
        node = LayerNode(class_name, config)
        try:
            return fastmlp_models._fastmlp_layer(node, _dtypes.standardize(config.get("dtype"), class_name))
        except ModelFileError as error:  # the loaders' error, for a config that is no file's
            raise ValueError(str(error)) from None
    config = fastmlp_models._strip_locators(config)
    return fastmlp_models._deserialized({"class_name": class_name, "config": config}, module)


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object a config from ``serialize_keras_object`` (fastmlp's or Keras 3's) describes.

    A class is looked up by its registered name and class name in the custom_object_scope, the
    global registry and ``custom_objects``, then among fastmlp's own types (the kind told by the
    config's ``module``, which is read, never imported); a function by name the same way, then among
    fastmlp's activations, losses and metrics. Serialized lambdas are refused (``safe_mode`` cannot be
    turned off: fastmlp never runs code from a config).

    Raises:
        TypeError: for a config that is not a serialized object, or a class that is not found.
        ValueError: for a lambda, or a Keras option fastmlp's class cannot compute.
    """
    from fastmlp.models import Model
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        found = get_registered_object(config, custom_objects)
        return found if found is not None else config
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(item, custom_objects) for item in config]
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config: {config!r}")
    if "class_name" not in config or "config" not in config:
        return {key: deserialize_keras_object(value, custom_objects) for key, value in config.items()}
    class_name, inner = config["class_name"], config["config"]
    module, registered_name = config.get("module"), config.get("registered_name")
    if not isinstance(class_name, str):
        raise TypeError(f"a serialized object's class_name must be a string, got {class_name!r}")
    if class_name == "__numpy__":
        return np.array(inner["value"], dtype=inner["dtype"])
    if class_name == "__tuple__":
        return tuple(deserialize_keras_object(item, custom_objects) for item in inner["value"])
    if class_name == "__lambda__":
        raise ValueError("the config holds a lambda, whose code fastmlp does not run (Keras's safe_mode); define "
                         "a named function, register it with register_keras_serializable and save again")
    if class_name == "function":
        found = get_registered_object(inner, custom_objects) or _builtin_function(str(inner))
        if found is None:
            raise TypeError(f"Could not locate function {inner!r}. Make sure custom functions are registered with "
                            "`fastmlp.saving.register_keras_serializable`, or passed in `custom_objects`")
        return found
    with CustomObjectScope(custom_objects):
        for key in (registered_name, class_name):
            found = get_registered_object(key, custom_objects) if isinstance(key, str) else None
            if found is not None:
                return _instance(found, inner, config)
        if class_name in ("Sequential", "Functional", "Model"):
            return _keras_model_from_config(config)
        found, kind = _builtin_class(class_name, module)
        if found is not None:
            if isinstance(inner, str) and hasattr(_fastmlp_modules()[kind], "get"):
                return _fastmlp_modules()[kind].get(inner)  # a name, as Keras 2 wrote some objects
            if not isinstance(inner, dict):
                raise TypeError(f"the config of {class_name!r} must be a dict, got {inner!r}")
            return _fastmlp_object(kind, class_name, inner)
    raise TypeError(f"Could not locate class {class_name!r}. Make sure custom classes are decorated with "
                    "`@fastmlp.saving.register_keras_serializable()`, or passed in `custom_objects`. Full object "
                    f"config: {config}")


def _instance(cls, inner, full):
    """A registered class's object from its config (``from_config``, as Keras calls it), built when the
    config says how (a layer's build_config)."""
    if not inspect.isclass(cls):
        return cls  # a registered function or object
    if not isinstance(inner, dict):
        raise TypeError(f"the config of {full.get('class_name')!r} must be a dict, got {inner!r}")
    obj = cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)
    build_config = full.get("build_config")
    if build_config and "input_shape" in build_config and hasattr(obj, "build") and not getattr(obj, "built", True):
        obj.build(tuple(build_config["input_shape"]))
    return obj


def _keras_model_from_config(serialized):
    """A fastmlp model from Keras 3's serialized model (to_json's, Keras's) or fastmlp's config form;
    compiled as its ``compile_config`` says, as Keras's deserialization compiles it."""
    from fastmlp._interop import fastmlp_models, keras_config
    from fastmlp.models.loading import model_from_config
    keras_form = any(isinstance(entry, dict) and "module" in entry
                     for entry in (serialized.get("config") or {}).get("layers") or [])
    if keras_form:
        graph = keras_config.graph_from_config(serialized, "the model config")
        graph.compile = keras_config.compile_state_from_config(serialized.get("compile_config"), "the model config")
        return fastmlp_models.model_from_graph(graph, compile=True)
    return model_from_config({"class_name": serialized["class_name"], "config": serialized["config"]})


def model_to_json(model, **kwargs):
    """Keras's ``model.to_json(**kwargs)``: the model's serialized form as a JSON string (``kwargs``
    go to ``json.dumps``)."""
    return json.dumps(serialize_keras_object(model), **kwargs)


def model_from_json(json_string, custom_objects=None):
    """A new, untrained model from the JSON of ``model.to_json()`` (fastmlp's or Keras's)."""
    try:
        serialized = json.loads(json_string)
    except (TypeError, json.JSONDecodeError, RecursionError) as error:
        raise ValueError(f"model_from_json: not a JSON model config ({error})") from None
    if not isinstance(serialized, dict) or "class_name" not in serialized:
        raise ValueError("model_from_json: the JSON is not a serialized model ({\"class_name\": ..., \"config\": ...})")
    return deserialize_keras_object(serialized, custom_objects=custom_objects)


__all__ = ["CustomObjectScope", "FORMAT_VERSION", "ModelFileError", "custom_object_scope",
           "deserialize_keras_object", "get_custom_objects", "get_registered_name", "get_registered_object",
           "load_model", "register_keras_serializable", "save_model", "serialize_keras_object"]
