"""Keras's summary table: layers, output shapes and parameter counts, trainable and not, and for a
functional model what each layer is connected to."""

# Keras's column widths, widened where a cell would not fit so that no cell runs into the next.
_WIDTHS = [33, 24, 15]
_CONNECTED_WIDTH = 24


def _format_bytes(count):
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.2f} {unit}"
        count /= 1024


def _connections(model):
    """{id(layer): ["dense[0][0]", ...]}: the tensors each layer's calls read, as Keras names them
    (the producing layer, its call number, the output number)."""
    core = model._core
    names = list(core.input_names)
    producers = [(name, 0) for name in names]
    calls_made = {}
    connected = {}
    for layer_index, sources in core.calls:
        layer = model._layers[layer_index]
        connected.setdefault(id(layer), []).extend(f"{producers[s][0]}[{producers[s][1]}][0]" for s in sources)
        node = calls_made.get(layer_index, 0)
        calls_made[layer_index] = node + 1
        producers.append((layer.name, node))
    return connected


def _type_name(layer):
    """Keras's type column: a functional model used as a layer shows as Functional."""
    from fastmlp.models.model import Model
    from fastmlp.models.sequential import Sequential
    if isinstance(layer, Model) and not isinstance(layer, Sequential):
        return "Functional"
    return type(layer).__name__


def summary_lines(model, line_length=None):
    functional = model._core.class_name == "Functional"
    layers = model.layers
    connected = _connections(model) if functional else {}
    rows = []
    for layer in layers:
        params = f"{layer.count_params():,}" if model.built else "0 (unbuilt)"
        links = connected.get(id(layer), ["-"]) if functional else []
        rows.append([f"{layer.name} ({_type_name(layer)})", str(layer.output_shape), params] +
                    ([links[0]] if functional else []))
        rows.extend(["", "", "", link] for link in links[1:])  # Keras lists each connection on its own line
    widths = list(_WIDTHS) + ([_CONNECTED_WIDTH] if functional else [])
    for column in range(len(widths)):
        widths[column] = max([widths[column]] + [len(cell[column]) + 2 for cell in rows])
    if line_length:
        others = sum(widths[1:])
        widths[0] = max(10, line_length - others - len(widths) - 1, max((len(cell[0]) + 2 for cell in rows), default=0))

    def row(cells, left="│", sep="│", right="│"):
        parts = [f" {cells[0]:<{widths[0] - 1}}", f" {cells[1]:<{widths[1] - 1}}", f"{cells[2]:>{widths[2] - 1}} "]
        if functional:
            parts.append(f" {cells[3]:<{widths[3] - 1}}")
        return left + sep.join(parts) + right

    def rule(left, mid, right, fill):
        return left + mid.join(fill * w for w in widths) + right

    header = ("Layer (type)", "Output Shape", "Param #") + (("Connected to",) if functional else ())
    lines = [f'Model: "{model.name}"', rule("┏", "┳", "┓", "━"), row(header, "┃", "┃", "┃"), rule("┡", "╇", "┩", "━")]
    for index, cell in enumerate(rows):
        lines.append(row(cell))
        following = rows[index + 1] if index + 1 < len(rows) else None
        if following is not None and following[0]:
            lines.append(rule("├", "┼", "┤", "─"))
    lines.append(rule("└", "┴", "┘", "─"))
    trainable = sum(w.size for w in model.trainable_weights)
    frozen = sum(w.size for w in model.non_trainable_weights)
    lines += [f" Total params: {trainable + frozen:,} ({_format_bytes(4 * (trainable + frozen))})",
              f" Trainable params: {trainable:,} ({_format_bytes(4 * trainable)})",
              f" Non-trainable params: {frozen:,} ({_format_bytes(4 * frozen)})"]
    return lines
