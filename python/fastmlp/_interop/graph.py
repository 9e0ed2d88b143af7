"""The neutral model graph: what every reader produces and every writer and exporter consumes.

It is Keras 3's functional model config made into Python objects, with the weights beside each layer:

    ModelGraph
      name        "model"                          Keras's model name
      kind        "Functional" | "Sequential"      how Keras wrote it (and how a Keras writer writes it back)
      layers      [LayerNode, ...]                 topological order: every inbound layer comes earlier
      inputs      [TensorRef, ...]                 Keras's "input_layers": the InputLayer nodes, in call order
      outputs     [TensorRef, ...]                 Keras's "output_layers"
      input_keys, output_keys                      None, or the dict keys when Keras's inputs/outputs were a dict
      compile     CompileState | None              what model.compile() set, with the optimizer's variables

    LayerNode
      class_name  "Dense"                          Keras's class name
      config      {"name": "dense", "units": 3, "activation": "relu", "dtype": "float32", ...}
                                                   Keras 3's get_config() dict: Keras's keys and defaults
                                                   ("dtype" as Keras writes it: a name or a DTypePolicy)
      inbound     [TensorRef, ...]                 [] for InputLayer; one for most layers; several for merges
      weights     {"kernel": (inputs, units) array, "bias": (units,) array}
                                                   Keras's variable names, in Keras's order and layout

    TensorRef(layer, index)                        output ``index`` of layer ``layer`` (Keras's keras_history
                                                   [layer, node_index, tensor_index] with node_index 0: a
                                                   layer is called once, shared layers are not supported)

    CompileState
      optimizer   OptimizerState | None            class_name "Adam", config {...} as Keras's get_config(),
                                                   variables {"iteration": ..., "learning_rate": ...,
                                                   "dense_kernel_momentum": ..., ...} in Keras's order
      loss, metrics, loss_weights, weighted_metrics   as Keras's compile_config holds them

An activation inside a config is Keras's name (``"relu"``), or, for a parameterised form Keras's files
cannot name, ``{"class_name": "gelu", "config": {"approximate": True}}`` (see activations.py).
"""

import dataclasses
from typing import Any, NamedTuple, Optional

from fastmlp._interop import layer_catalog


class TensorRef(NamedTuple):
    """Output ``index`` of the layer named ``layer``."""

    layer: str
    index: int = 0


@dataclasses.dataclass
class LayerNode:
    """One layer and where its inputs come from.

    Args:
        class_name: Keras's class name, e.g. ``"Dense"``.
        config: Keras 3's config dict for the layer; ``config["name"]`` is its unique name.
        inbound: the tensors it is called on, in call order (a merge layer takes several).
        weights: variable name -> array, in the order Keras's ``layer.weights`` lists them.
    """

    class_name: str
    config: dict
    inbound: list = dataclasses.field(default_factory=list)
    weights: dict = dataclasses.field(default_factory=dict)
    custom: Optional[dict] = None  # a user's layer: what custom_layers.py knows of it

    @property
    def name(self):
        return self.config["name"]

    @property
    def trainable(self):
        return bool(self.config.get("trainable", True))


@dataclasses.dataclass
class OptimizerState:
    """An optimizer as Keras serialises it, with its variables.

    Args:
        class_name: Keras's class name, e.g. ``"Adam"``.
        config: its get_config() dict (``learning_rate`` may be a serialised schedule).
        variables: Keras's variable name -> array, in Keras's order: ``iteration``, ``learning_rate``
            (absent with a schedule), then the slots named ``<layer>_<weight>_<slot>``
            (optimizer_variables.py). Empty when the optimizer was never built.
    """

    class_name: str
    config: dict
    variables: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class CompileState:
    """What ``model.compile`` was given, in Keras's serialised forms."""

    optimizer: Optional[OptimizerState] = None
    loss: Any = None
    metrics: Any = None
    loss_weights: Any = None
    weighted_metrics: Any = None


@dataclasses.dataclass
class ModelGraph:
    """A dense model: layers in topological order, its inputs and outputs, and its compile state."""

    layers: list
    inputs: list
    outputs: list
    name: str = "model"
    kind: str = "Functional"
    input_keys: Optional[list] = None
    output_keys: Optional[list] = None
    compile: Optional[CompileState] = None

    def layer(self, name):
        """The layer called ``name`` (KeyError if there is none)."""
        for node in self.layers:
            if node.name == name:
                return node
        raise KeyError(f"the model has no layer named {name!r}")

    @property
    def dtype(self):
        """The dtype the model computes in, from its layers' "dtype": "float64" when they name float64,
        else "float32" (Keras's mixed and float16 policies keep float32 variables). Raises ValueError
        naming the layers when some name float64 and others not: a fastmlp model has one dtype."""
        named = [(node.name, computed_dtype(node.config.get("dtype")))
                 for node in self.layers if node.class_name != "InputLayer" and node.config.get("dtype") is not None]
        if not named:  # only inputs say (or nothing does)
            named = [(node.name, computed_dtype(node.config.get("dtype")))
                     for node in self.layers if node.config.get("dtype") is not None]
        kinds = {dtype for _, dtype in named}
        if len(kinds) > 1:
            listed = "; ".join(f"{dtype}: {', '.join(repr(name) for name, d in named if d == dtype)}"
                               for dtype in sorted(kinds))
            raise ValueError(f"the model mixes float32 and float64 layers ({listed}); a fastmlp model computes in "
                             "one dtype")
        return kinds.pop() if kinds else "float32"

    def get_weights(self):
        """Every layer's arrays in layer order, as Keras's ``model.get_weights()`` lists them."""
        return [array for node in self.layers for array in node.weights.values()]

    def validate(self):
        """Checks the structure: unique names, inbound tensors from earlier layers, inputs that are
        InputLayers, outputs that exist, keys that match. Raises ValueError saying what is wrong."""
        seen = set()
        for node in self.layers:
            if not isinstance(node.config, dict) or not isinstance(node.config.get("name"), str):
                raise ValueError(f"a {node.class_name} layer has no name in its config")
            if node.name in seen:
                raise ValueError(f"two layers are named {node.name!r}; layer names must be unique")
            for ref in node.inbound:
                if ref.layer not in seen:
                    raise ValueError(f"layer {node.name!r} takes the output of {ref.layer!r}, which is not an "
                                     "earlier layer of the model")
                if ref.index != 0:
                    raise ValueError(f"layer {node.name!r} takes output {ref.index} of {ref.layer!r}; every "
                                     "supported layer has a single output")
            if (node.class_name == "InputLayer") != (not node.inbound):
                raise ValueError(f"layer {node.name!r} ({node.class_name}) has {len(node.inbound)} inputs; an "
                                 "InputLayer has none and every other layer at least one")
            seen.add(node.name)
        if not self.inputs or not self.outputs:
            raise ValueError("a model needs at least one input and one output")
        for ref in self.inputs:
            if ref.layer not in seen or self.layer(ref.layer).class_name != "InputLayer":
                raise ValueError(f"model input {ref.layer!r} is not an InputLayer of the model")
        for ref in self.outputs:
            if ref.layer not in seen:
                raise ValueError(f"model output {ref.layer!r} is not a layer of the model")
        for keys, refs, what in ((self.input_keys, self.inputs, "input"), (self.output_keys, self.outputs, "output")):
            if keys is not None and len(keys) != len(refs):
                raise ValueError(f"{len(keys)} {what} keys for {len(refs)} {what}s")
        if self.kind not in ("Functional", "Sequential"):
            raise ValueError(f"kind must be 'Functional' or 'Sequential', got {self.kind!r}")
        return self

    def keras_order(self):
        """The layers in the order Keras's ``model.layers`` lists them after building this graph.

        Keras does not keep the order a config lists layers in: it walks back from the outputs
        depth-first, gives each layer its depth (the longest path to an output) and sorts by
        decreasing depth, breaking ties by the order the walk first met the layers. Weights in a
        .keras file and the optimizer's slots follow that order, so a writer must too.
        """
        if self.kind == "Sequential":
            return list(self.layers)
        by_name = {node.name: node for node in self.layers}
        first_seen, finished = {}, []  # order of first visit; layers once all their inputs are done

        def inputs_of(name):
            return [ref.layer for ref in by_name[name].inbound]

        for event, name in walk_back([ref.layer for ref in self.outputs], inputs_of):
            if event == "enter":
                first_seen[name] = len(first_seen)
            else:
                finished.append(name)
        depth = {}
        for name in reversed(finished):
            own = depth.setdefault(name, 0)
            for ref in by_name[name].inbound:
                depth[ref.layer] = max(depth.get(ref.layer, 0), own + 1)
        for ref in self.inputs:  # an input no output depends on still belongs to the model
            if ref.layer not in depth:
                depth[ref.layer], first_seen[ref.layer] = 0, -1
        order = sorted(depth, key=lambda name: (-depth[name], first_seen[name]))
        return [by_name[name] for name in order]

    def trainable_weights(self):
        """``(layer, weight name)`` of every trainable variable, in Keras's ``model.trainable_variables``
        order: the order the optimizer's slots follow."""
        pairs = []
        for node in self.keras_order():
            if not node.trainable:
                continue
            trainable = node.custom["trainable"] if node.custom is not None else \
                layer_catalog.trainable_weight_names(node.class_name, node.config)
            pairs.extend((node.name, weight) for weight in node.weights if weight in trainable)
        return pairs


def walk_back(roots, inputs_of):
    """Depth-first from ``roots`` towards the inputs, without recursion (a model may be deeper than
    Python's stack): yields ``("enter", name)`` when a layer is first reached and ``("leave", name)``
    once every layer it takes has been left, inputs visited in call order.

    Args:
        roots: the layer names to start from, in order.
        inputs_of: layer name -> the names of the layers it takes.

    Raises:
        ValueError: when the layers form a cycle.
    """
    seen = set()
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        yield "enter", root
        stack, on_path = [(root, iter(inputs_of(root)))], {root}
        while stack:
            name, pending = stack[-1]
            source = next(pending, None)
            if source is None:
                stack.pop()
                on_path.discard(name)
                yield "leave", name
            elif source in on_path:
                raise ValueError(f"the layers form a cycle through {source!r}")
            elif source not in seen:
                seen.add(source)
                yield "enter", source
                stack.append((source, iter(inputs_of(source))))
                on_path.add(source)


def computed_dtype(value):
    """"float64" for a Keras dtype (a name or a DTypePolicy, serialised or not) of float64, else "float32"."""
    from fastmlp import _dtypes
    try:
        return _dtypes.standardize(value, "dtype", default=None)
    except ValueError:
        return "float32"


def sequential(layers, name="sequential"):
    """A graph whose layers each take the previous one's output, the first being an InputLayer.

    Args:
        layers: ``(class_name, config, weights)`` triples; configs must hold unique names.
        name: the model's name.
    """
    nodes = []
    for class_name, config, weights in layers:
        inbound = [TensorRef(nodes[-1].name)] if nodes else []
        nodes.append(LayerNode(class_name, config, inbound, dict(weights or {})))
    graph = ModelGraph(nodes, [TensorRef(nodes[0].name)], [TensorRef(nodes[-1].name)], name=name, kind="Sequential")
    return graph.validate()

