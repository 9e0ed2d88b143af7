"""Keras's summary table: layers, output shapes and parameter counts, trainable and not."""

# Keras's column widths, widened where a cell would not fit so that no cell runs into the next.
_WIDTHS = [33, 24, 15]


def _format_bytes(count):
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.2f} {unit}"
        count /= 1024


def summary_lines(model, line_length=None):
    cells = [(f"{layer.name} ({type(layer).__name__})", str(layer.output_shape),
              f"{layer.count_params():,}" if model.built else "0 (unbuilt)") for layer in model.layers]
    widths = list(_WIDTHS)
    for column in range(3):
        widths[column] = max([widths[column]] + [len(cell[column]) + 2 for cell in cells])
    if line_length:
        widths[0] = max(10, line_length - widths[1] - widths[2] - 4, max((len(cell[0]) + 2 for cell in cells), default=0))

    def row(cells, left="│", sep="│", right="│"):
        parts = [f" {cells[0]:<{widths[0] - 1}}", f" {cells[1]:<{widths[1] - 1}}", f"{cells[2]:>{widths[2] - 1}} "]
        return left + sep.join(parts) + right

    def rule(left, mid, right, fill):
        return left + mid.join(fill * w for w in widths) + right

    lines = [f'Model: "{model.name}"', rule("┏", "┳", "┓", "━"),
             row(("Layer (type)", "Output Shape", "Param #"), "┃", "┃", "┃"), rule("┡", "╇", "┩", "━")]
    for index, cell in enumerate(cells):
        lines.append(row(cell))
        if index + 1 < len(cells):
            lines.append(rule("├", "┼", "┤", "─"))
    lines.append(rule("└", "┴", "┘", "─"))
    trainable = sum(w.size for w in model.trainable_weights)
    frozen = sum(w.size for w in model.non_trainable_weights)
    lines += [f" Total params: {trainable + frozen:,} ({_format_bytes(4 * (trainable + frozen))})",
              f" Trainable params: {trainable:,} ({_format_bytes(4 * trainable)})",
              f" Non-trainable params: {frozen:,} ({_format_bytes(4 * frozen)})"]
    return lines
