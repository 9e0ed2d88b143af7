"""The names and order of a Keras 3 optimizer's variables, which .keras files store only by index.

A built Keras 3 optimizer holds, in this order: ``iteration``; ``learning_rate`` unless it is a
schedule; with ``use_ema`` an ``average`` per trainable variable; with ``gradient_accumulation_steps``
a ``gradient_accumulator`` per trainable variable; then its own slots. Slots created together are
interleaved per variable (Adam: kernel momentum, kernel velocity, bias momentum, ...); slots created
later follow as a block (Adam's ``velocity_hat`` with amsgrad). Keras names a slot
``<variable path with "_" for "/">_<slot>``; here the path is ``<layer>/<weight>``, the name a
functional model gives, so names do not depend on the model's name.
"""

from fastmlp._interop.errors import ModelFileError


def _slot_groups(class_name, config):
    """The optimizer's slot groups: each a list of slot names created together, in creation order."""
    if class_name == "SGD":
        return [["momentum"]] if config.get("momentum", 0.0) else []
    if class_name in ("Adam", "AdamW"):
        return [["momentum", "velocity"]] + ([["velocity_hat"]] if config.get("amsgrad") else [])
    if class_name == "RMSprop":
        groups = [["velocity"]]
        if config.get("momentum", 0.0) > 0:
            groups.append(["momentum"])
        if config.get("centered"):
            groups.append(["average_gradient"])
        return groups
    if class_name == "Adagrad":
        return [["accumulator"]]
    if class_name == "Adadelta":
        return [["accumulated_grad", "accumulated_delta_var"]]
    if class_name == "Adamax":
        return [["momentum", "norm"]]
    if class_name in ("Nadam", "Lamb"):
        return [["momentum", "velocity"]]
    if class_name == "Lion":
        return [["momentum"]]
    if class_name == "Ftrl":
        return [["accumulator", "linear"]]
    return None


def _is_schedule(learning_rate):
    return isinstance(learning_rate, dict)


def _unbuilt_names(config):
    """The variables an optimizer has before it is built on a model."""
    return ["iteration"] + ([] if _is_schedule(config.get("learning_rate")) else ["learning_rate"])


def variable_names(class_name, config, trainable):
    """Keras's variable names for an optimizer built on ``trainable`` ((layer, weight) pairs in
    ``model.trainable_variables`` order), or None for an optimizer whose layout this file does not know."""
    groups = _slot_groups(class_name, config)
    if groups is None:
        return None
    prefixes = [f"{layer}_{weight}".replace("/", "_") for layer, weight in trainable]
    names = _unbuilt_names(config)
    if config.get("use_ema"):
        names += [f"{prefix}_average" for prefix in prefixes]
    if config.get("gradient_accumulation_steps"):
        names += [f"{prefix}_gradient_accumulator" for prefix in prefixes]
    for group in groups:
        names += [f"{prefix}_{slot}" for prefix in prefixes for slot in group]
    if class_name == "Nadam":
        names.append("u_product")  # Keras's running product of momentum factors; unnamed ("variable") in Keras
    return names


def name_variables(class_name, config, trainable, arrays, where):
    """``{name: array}`` for the optimizer variables a .keras file lists by index.

    Raises:
        ModelFileError: when the file holds a different number of variables than the optimizer's
            configuration implies (a file whose model and optimizer disagree).
    """
    names = variable_names(class_name, config, trainable)
    if names is None:
        # An optimizer this file does not describe: keep its state under Keras's indices rather than lose it.
        return {str(index): array for index, array in enumerate(arrays)}
    unbuilt = _unbuilt_names(config)
    if len(arrays) == len(unbuilt):  # compiled but never trained: the optimizer made no slots yet
        return dict(zip(unbuilt, arrays))
    if len(names) != len(arrays):
        raise ModelFileError(f"{where}: the {class_name} optimizer holds {len(arrays)} variables but its "
                             f"configuration and the model's trainable weights imply {len(names)}")
    return dict(zip(names, arrays))


def order_variables(class_name, config, trainable, variables, where):
    """The optimizer's arrays in the order Keras will build its variables, for a .keras writer.

    Raises:
        ValueError: when ``variables`` lacks one that the optimizer needs (after a change to the model).
    """
    if not variables:
        return []
    names = variable_names(class_name, config, trainable)
    if names is None:
        return [variables[key] for key in sorted(variables, key=int)]
    if set(variables) == set(_unbuilt_names(config)):
        names = _unbuilt_names(config)
    missing = [name for name in names if name not in variables]
    if missing:
        raise ValueError(f"{where}: the {class_name} optimizer's state lacks {missing[:3]}"
                         f"{' ...' if len(missing) > 3 else ''}; was the model changed after training?")
    return [variables[name] for name in names]
