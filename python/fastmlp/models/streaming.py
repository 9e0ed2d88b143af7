"""fit, evaluate and predict on data that arrives batch by batch: a Python generator or iterator, any
iterable of batches (a torch DataLoader), or a PyDataset (batch_sources.py says which and counts
their epochs as Keras 3 does).

A batch is ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` (a list is read as a tuple, as
Keras does), each part an array, a torch tensor, anything with ``.numpy()``, or for several inputs a
list or dict of them. Each batch runs through the core's compiled step (``train_on_batch``,
``evaluate``, ``predict``), which releases the GIL; meanwhile a background thread reads and converts
the next batches (prefetch.py), so a fast generator costs little more than arrays. The epoch's logs
are batch-size-weighted means of the batches' logs, as Keras's metric trackers give, except the
confusion counts, which add up.
"""

import time
import warnings

import numpy as np

from fastmlp import _sparse, distribution as distribution_module
from fastmlp.callbacks import CallbackList
from fastmlp.models import arguments, data
from fastmlp.models.batch_sources import Epochs, is_stream, kind_of, make_source
from fastmlp.models.prefetch import Prefetcher

# The progress bar needs a few updates per second, not one per batch (as in the core's fit).
PROGRESS_INTERVAL = 0.1
# Metrics whose epoch value is a sum over batches; every other log is a mean over samples.
_COUNTS = {"TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives"}
# Metrics that are ratios of counts the core does not return per batch: their epoch value over a
# stream is a batch-size-weighted mean of the batches' values (said once per call, with a warning).
_RATIOS = {"Precision", "Recall", "AUC"}


class _Batch:
    __slots__ = ("xs", "ys", "weights", "rows")

    def __init__(self, xs, ys, weights, rows):
        self.xs, self.ys, self.weights, self.rows = xs, ys, weights, rows


def _numpy(value):
    """Torch tensors (and anything with .numpy(): TensorFlow tensors, fastmlp Variables) as NumPy
    arrays, inside lists, tuples and dicts; torch need not be installed."""
    if type(value) is np.ndarray or value is None:
        return value
    if isinstance(value, dict):
        return {key: _numpy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_numpy(item) for item in value)
    if isinstance(value, np.ndarray) or _sparse.is_sparse(value):
        return value
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    numpy_method = getattr(value, "numpy", None)
    if callable(numpy_method) and not isinstance(value, (int, float)):
        return numpy_method()
    return value


def unpack(batch):
    """(x, y, sample_weight) of a batch, as Keras's unpack_x_y_sample_weight reads it."""
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple):
        return batch, None, None
    if len(batch) in (1, 2, 3):
        return (*batch, *([None] * (3 - len(batch))))
    raise ValueError(f"a batch must be x, (x,), (x, y) or (x, y, sample_weight); got a tuple of {len(batch)} items")


def _ready(array, dtype, width):
    """Whether ``array`` is already what the core reads: 2-D, ``width`` columns, of the model's dtype,
    C-contiguous and aligned (then no conversion or copy is needed)."""
    return type(array) is np.ndarray and array.dtype == dtype and array.ndim == 2 and array.shape[1] == width \
        and array.flags.c_contiguous and array.flags.aligned


def _fast_path(model, targets, class_weight):
    """For a built model of one input and one output, the function that takes a batch already in the
    core's form (float arrays of the right widths) without the general checks: a few microseconds
    instead of tens, which a small model's step would notice. None where it does not apply."""
    core = model._core
    if not model.built or class_weight is not None or len(core.input_names) != 1 or len(core.output_names) != 1:
        return None
    dtype, width = np.dtype(model.dtype), int(np.prod(core.input_shapes[0]))
    if not targets:
        return lambda x, y, weights: _Batch([x], None, None, len(x)) if _ready(x, dtype, width) and len(x) else None
    loss = (core.losses or [None])[0]
    if loss is None:
        return None
    columns = loss.target_columns(core.output_dims[0])

    def fast(x, y, weights):
        if weights is not None or not _ready(x, dtype, width) or not len(x) or type(y) is not np.ndarray:
            return None
        if y.ndim == 1 and columns == 1:
            y = y.reshape(-1, 1)  # labels as one column, a view
        if not _ready(y, dtype, columns) or len(y) != len(x):
            return None
        return _Batch([x], [y], None, len(x))
    return fast


def _array_ids(value, found):
    """The ids of the NumPy arrays in a batch part (inside lists, tuples and dicts)."""
    if type(value) is np.ndarray:
        found.add(id(value))
    elif isinstance(value, dict):
        for item in value.values():
            _array_ids(item, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _array_ids(item, found)
    return found


def _owned(batch, parts):
    """``batch`` with a copy of each array that is still the memory the source gave (not converted):
    batches are read ahead, and a generator that refills one buffer in place and yields it again
    would otherwise overwrite the batches waiting (or training). A copy costs far less than a step."""
    given = _array_ids(parts, set())

    def still_given(array):  # the source's array itself, or a reshaped view of it
        return type(array) is np.ndarray and (id(array) in given or id(array.base) in given)

    for arrays in (batch.xs, batch.ys or []):
        for index, array in enumerate(arrays):
            if still_given(array):
                arrays[index] = array.copy()
    if still_given(batch.weights):
        batch.weights = batch.weights.copy()
    return batch


def _converter(model, what, targets, class_weight=None):
    """The function that turns a raw batch into the core's arrays, in memory of their own (run in
    the reading thread, ahead of the step)."""
    fast = [None, False]  # the fast path, and whether it was looked for (the model is built by then)

    def convert(raw):
        parts = tuple(_numpy(part) for part in unpack(raw))
        return _owned(_read(*parts), parts)

    def _read(x, y, weights):
        if not fast[1] and model.built:
            fast[:] = [_fast_path(model, targets, class_weight), True]
        if fast[0] is not None:
            batch = fast[0](x, y, weights)
            if batch is not None:
                return batch
        if x is None:
            raise ValueError(f"{what} gave a batch without inputs (x is None)")
        xs = data.input_arrays(model, x, "x")
        rows = len(xs[0])
        if rows == 0:
            raise ValueError(f"{what} gave a batch of 0 samples; every batch needs at least one")
        if not targets:
            return _Batch(xs, None, None, rows)
        if y is None:
            raise ValueError(f"{what} gave a batch without targets: fit and evaluate need batches (x, y) or "
                             "(x, y, sample_weight); x alone is for predict")
        ys = data.target_arrays(model, y, "y")
        for array in xs + ys:
            if len(array) != rows:
                raise ValueError(f"{what} gave a batch whose x and y hold different numbers of samples "
                                 f"({rows} and {len(array)})")
        data.check_targets(model, ys, "y")
        if weights is not None:
            weights = arguments.sample_weights(weights, rows, "the batch's sample_weight", model.dtype)
            if class_weight is not None:
                raise ValueError("You cannot specify `class_weight` and `sample_weight` at the same time: "
                                 "the batches carry sample weights")
        elif class_weight is not None:
            if len(ys) != 1:
                raise ValueError("class_weight is for models of one output (as in Keras); use sample_weight")
            weights = arguments.class_weights(class_weight, ys[0], model.dtype)
        return _Batch(xs, ys, weights, rows)
    return convert


def _first_batch(model, iterator, what, convert):
    """The first batch, read here (not in the background) so that a Model subclass is traced, and an
    unbuilt Sequential built, for it before other batches are converted; a ValueError when there is none."""
    try:
        raw = next(iterator)
    except StopIteration:
        raise ValueError(f"{what} gave no batches: a generator or dataset passed to a fastmlp model must "
                         "yield at least one batch") from None
    x = _numpy(unpack(raw)[0])
    if x is not None:
        model._trace_subclass(x)  # a Model subclass becomes its traced graph for these inputs
        if not model.built:
            model._ensure_built(data.input_arrays(model, x, "x"))
    return convert(raw)


# ---- logs ---------------------------------------------------------------------------------------------
def _log_kinds(model):
    """{log name: metric class name} for the compiled metrics, named as the core's logs name them."""
    core = model._core
    several = len(core.output_names) > 1
    kinds = {}
    for output, metric_list in zip(core.output_names, core.output_metrics):
        for metric in metric_list:
            kinds[f"{output}_{metric.name}" if several else metric.name] = metric.class_name
    return kinds


def warn_ratio_metrics(model, what):
    ratios = [name for name, kind in _log_kinds(model).items() if kind in _RATIOS]
    if ratios:
        warnings.warn(f"{', '.join(ratios)}: over data given batch by batch ({what}), fastmlp reports the "
                      "batch-size-weighted mean of each batch's value, where Keras accumulates the counts over "
                      "the epoch; pass arrays for the exact epoch value", UserWarning, stacklevel=4)


class _LogMeans:
    """Running epoch logs from the batches' logs: means over samples (Keras weights each batch by its
    size), sums for the confusion counts."""

    def __init__(self, model):
        kinds = _log_kinds(model)
        self._summed = {name for name, kind in kinds.items() if kind in _COUNTS}
        self._dtype = np.dtype(model.dtype)
        self._totals = {}
        self.rows = 0

    def add(self, logs, rows):
        for name, value in logs.items():
            weight = 1 if name in self._summed else rows
            self._totals[name] = self._totals.get(name, 0.0) + np.asarray(value, dtype=np.float64) * weight
        self.rows += rows

    def result(self):
        out = {}
        for name, total in self._totals.items():
            value = total if name in self._summed else total / max(self.rows, 1)
            out[name] = float(value) if np.ndim(value) == 0 else value.astype(self._dtype)
        return out


# ---- fit, evaluate, predict ---------------------------------------------------------------------------
def _refuse_arrays_only(kind, y=None, sample_weight=None, validation_split=0.0):
    if y is not None:
        raise ValueError(f"When providing `x` as a {kind}, `y` should not be passed. Instead, the targets "
                         f"should be included as part of the {kind}.")
    if sample_weight is not None:
        raise ValueError(f"When providing `x` as a {kind}, `sample_weights` should not be passed. Instead, "
                         f"the sample weights should be included as part of the {kind}.")
    if validation_split:
        raise ValueError(f"`validation_split` is only supported for arrays, not for a {kind}: pass "
                         "validation_data instead")
    if distribution_module._current is not None:
        raise ValueError(f"data-parallel training takes arrays (each rank its own share); a {kind} is not "
                         "supported under a fastmlp.distribution")


def _steps(value, name):
    return None if value is None else arguments.positive_int(value, name)


class Evaluation:
    """One evaluation pass per call over a stream: a PyDataset or DataLoader starts again at each
    pass, as Keras's evaluate resets its iterator; a generator goes on where the last pass stopped
    (Keras replays the two batches it peeked at instead). ``run`` returns the logs, or None when the
    data gave no batch."""

    def __init__(self, model, x, steps, what):
        self._model, self._what = model, what
        self._source = make_source(x)
        self._epochs = Epochs(self._source, _steps(steps, "steps" if what == "x" else "validation_steps"))
        self._convert = _converter(model, what, targets=True)
        self._first = None

    @property
    def num_batches(self):
        return self._epochs.num_batches

    def take_first(self):
        """Reads the first batch now (builds the model, checks that there is one)."""
        self._epochs.reset()
        iterator, _ = self._epochs.start()
        self._first = _first_batch(self._model, iterator, self._what, self._convert)

    def run(self, cbs=None):
        core = self._model._core
        hook_begin = cbs is not None and cbs.wants("on_test_batch_begin")
        hook_end = cbs is not None and cbs.wants("on_test_batch_end")
        if self._first is None:
            self._epochs.reset()
        if self._epochs.stop_if_exhausted():
            return None
        iterator, limit = self._epochs.start()
        self._source.on_epoch_begin()
        batches = Prefetcher(iterator, self._convert, limit, self._source.depth, first=self._first)
        self._first = None
        means = _LogMeans(self._model)
        try:
            for step, batch in enumerate(batches):
                if hook_begin:
                    cbs.on_test_batch_begin(step, {})
                means.add(core.evaluate(batch.xs, batch.ys, batch.rows, batch.weights), batch.rows)
                if hook_end:
                    cbs.on_test_batch_end(step, means.result())
        finally:
            batches.close()
        self._epochs.end(batches.count, batches.ran_out)
        self._source.on_epoch_end()
        if cbs is not None:
            _learn_steps(cbs, batches.count)
        return means.result() if batches.count else None

    def close(self):
        self._source.close()


def array_validation(model, validation_data, batch_size):
    """The validation pass of a streamed fit given arrays: (x_val, y_val[, sample_weight])."""
    x_val, y_val, w_val = arguments.validation_tuple(validation_data)
    xs_val, ys_val = model._check_data(x_val, y_val, x_name="x_val", y_name="y_val")
    if w_val is not None:
        w_val = arguments.sample_weights(w_val, len(xs_val[0]), "validation sample_weight", model.dtype)

    def run(cbs):
        hooks = {}
        if cbs.wants("on_test_batch_begin"):
            hooks["on_batch_begin"] = lambda step: cbs.on_test_batch_begin(step, {})
        if cbs.wants("on_test_batch_end"):
            hooks["on_batch_end"] = lambda step, logs: cbs.on_test_batch_end(step, logs)
        return model._core.evaluate(xs_val, ys_val, batch_size, w_val, hooks.get("on_batch_begin"),
                                    hooks.get("on_batch_end"))
    return run


def validation_runner(model, validation_data, validation_steps, batch_size):
    """A function of the CallbackList that runs one validation pass (Keras runs it as an evaluate()
    with the fit's callbacks) and returns the ``val_`` logs; plus a function that releases it."""
    if is_stream(validation_data):
        evaluation = Evaluation(model, validation_data, validation_steps, "validation_data")
        run, close = evaluation.run, evaluation.close
    else:
        run, close = array_validation(model, validation_data, batch_size), (lambda: None)

    def validate(cbs):
        cbs.on_test_begin({})
        logs = run(cbs)
        cbs.on_test_end(logs or {})
        return {} if logs is None else {f"val_{name}": value for name, value in logs.items()}
    return validate, close


def fit(model, x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data, shuffle,
        class_weight, sample_weight, initial_epoch, steps_per_epoch, validation_steps):
    """Model.fit for a stream ``x`` (see the module's docstring); returns the History."""
    what = kind_of(x)
    _refuse_arrays_only(what, y, sample_weight, validation_split)
    steps = _steps(steps_per_epoch, "steps_per_epoch")
    epochs = arguments.positive_int(epochs, "epochs", minimum=0, maximum=arguments.MAX_EPOCHS)
    initial_epoch = arguments.positive_int(initial_epoch, "initial_epoch", minimum=0, maximum=arguments.MAX_EPOCHS)
    batch = arguments.batch_size(batch_size)
    if validation_data is None and validation_steps is not None:
        raise ValueError("validation_steps is for validation_data given as a generator or dataset; "
                         "validation_data is None")
    source = make_source(x, shuffle)
    train = Epochs(source, steps)
    convert = _converter(model, what, targets=True, class_weight=class_weight)
    validate = close_validation = None
    try:
        train.reset()
        first = _first_batch(model, train.start()[0], what, convert) if initial_epoch < epochs else None
        if validation_data is not None:
            validate, close_validation = validation_runner(model, validation_data, validation_steps, batch)
        warn_ratio_metrics(model, "fit")
        cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model, verbose=verbose,
                           epochs=epochs, steps=train.num_batches)
        model.stop_training = False
        cbs.on_train_begin({})
        last_logs = _train_epochs(model, cbs, train, convert, first, initial_epoch, epochs, validate)
        cbs.on_train_end(last_logs)
        return cbs.history
    finally:
        source.close()
        if close_validation is not None:
            close_validation()


def _train_epochs(model, cbs, train, convert, first, initial_epoch, epochs, validate):
    core = model._core
    source = train.source
    begin_hook, every_batch, any_batch = cbs.wants_batch_begin(), cbs.wants_every_batch(), cbs.wants_batches()
    last_logs = {}
    for epoch in range(initial_epoch, epochs):
        if train.stop_if_exhausted():
            break
        iterator, limit = train.start()
        cbs.on_epoch_begin(epoch, {})
        source.on_epoch_begin()
        batches = Prefetcher(iterator, convert, limit, source.depth, first=first)
        first = None
        means = _LogMeans(model)
        last_report = time.monotonic()
        try:
            for step, batch in enumerate(batches):
                if begin_hook:
                    cbs.on_train_batch_begin(step, {})
                means.add(core.train_on_batch(batch.xs, batch.ys, batch.weights), batch.rows)
                if any_batch:
                    now = time.monotonic()
                    if every_batch or now - last_report >= PROGRESS_INTERVAL:
                        cbs.on_train_batch_end(step, means.result())
                        last_report = now
                if model.stop_training:
                    break
        finally:
            batches.close()
        train.end(batches.count, batches.ran_out)
        source.on_epoch_end()
        if batches.count == 0:
            break  # the data had nothing for this epoch: no logs to report (warned)
        _learn_steps(cbs, batches.count)
        logs = means.result()
        if validate is not None:
            logs.update(validate(cbs))
        cbs.on_epoch_end(epoch, logs)
        last_logs = logs
        if model.stop_training:
            break
    return last_logs


def _learn_steps(cbs, count):
    """Tells the callbacks (the progress bar) how many batches a pass of unknown length had."""
    if cbs.params.get("steps") is None and count:
        cbs.set_params({**cbs.params, "steps": count})


def evaluate(model, x, y, verbose, sample_weight, steps, callbacks, return_dict, results):
    """Model.evaluate for a stream ``x``; ``results`` shapes the return value as for arrays."""
    what = kind_of(x)
    _refuse_arrays_only(what, y, sample_weight)
    evaluation = Evaluation(model, x, steps, what)
    try:
        evaluation.take_first()
        warn_ratio_metrics(model, "evaluate")
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=model, verbose=verbose, epochs=1,
                           steps=evaluation.num_batches)
        cbs.on_test_begin({})
        logs = evaluation.run(cbs)
        if logs is None:
            raise ValueError(f"{what} gave no batches to evaluate")
        cbs.on_test_end(logs)
        return results(logs, return_dict)
    finally:
        evaluation.close()


def predict(model, x, verbose, steps, callbacks, structured):
    """Model.predict for a stream ``x`` of input batches (x, or tuples whose first item is x)."""
    what = kind_of(x)
    _refuse_arrays_only(what)
    source = make_source(x)
    epochs = Epochs(source, _steps(steps, "steps"))
    convert = _converter(model, what, targets=False)
    core = model._core
    try:
        iterator, limit = epochs.start()
        first = _first_batch(model, iterator, what, convert)
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=model, verbose=verbose, epochs=1,
                           steps=epochs.num_batches)
        begin, end = cbs.wants("on_predict_batch_begin"), cbs.wants("on_predict_batch_end")
        cbs.on_predict_begin({})
        source.on_epoch_begin()
        batches = Prefetcher(iterator, convert, limit, source.depth, first=first)
        parts = []
        try:
            for step, batch in enumerate(batches):
                if begin:
                    cbs.on_predict_batch_begin(step, {})
                outputs = core.predict(batch.xs, 0)
                parts.append(outputs)
                if end:
                    cbs.on_predict_batch_end(step, {"outputs": structured(outputs)})
        finally:
            batches.close()
        epochs.end(batches.count, batches.ran_out)
        source.on_epoch_end()
        _learn_steps(cbs, batches.count)
        cbs.on_predict_end({})
    finally:
        source.close()
    return structured([np.concatenate(arrays) for arrays in zip(*parts)])
