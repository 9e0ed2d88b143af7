"""Evidence that the NumPy peer computes what fastmlp computes, so that their times compare the same work.

Both networks start from fastmlp's initial weights and take Adam steps on the same batches; the
gradients of the first step and the weights after the last must agree to float32 rounding. Two
steps rather than one: Adam's first step is lr * g / (|g| + eps'), nearly lr * sign(g), which
would hide a wrongly scaled gradient; the second step depends on the ratio of two gradients.
"""

import numpy as np

import fastmlp as fm

from numpy_mlp import NumpyMLP
from peers import FastmlpPeer
from workloads import BETA_1, BETA_2, EPSILON, LEARNING_RATE


def _dense_layers(model):
    return [layer for layer in model.layers if isinstance(layer, fm.layers.Dense)]


def compare_one_step(workload, rows=None, steps=2):
    """Largest absolute differences between fastmlp and the NumPy network, as a dict with
    "gradient" (first step's dW and db), "gradient_scale" (the largest |gradient|, so that a
    difference can be read against it) and "weights" (after `steps` Adam steps)."""
    rows = rows or workload.batch_size
    fast = FastmlpPeer(workload).model
    dense = _dense_layers(fast)
    ref = NumpyMLP(workload.sizes, workload.hidden, workload.output, workload.loss, rows, LEARNING_RATE,
                   BETA_1, BETA_2, EPSILON)
    ref.set_weights([layer.kernel for layer in dense], [layer.bias for layer in dense])
    gradient_diff = gradient_scale = 0.0
    for step in range(steps):
        first = (step * rows) % max(1, workload.rows - rows + 1)
        x = np.ascontiguousarray(workload.x[first:first + rows])
        y = np.ascontiguousarray(workload.targets[first:first + rows])
        fast.train_on_batch(x, y)
        ref.train_step(x, y)
        if step == 0:
            gradients = [dict(layer._core.gradients) for layer in dense]
            fast_grads = [g["kernel"] for g in gradients] + [g["bias"] for g in gradients]
            gradient_diff = _largest_difference(fast_grads, ref.grads)
            gradient_scale = max(float(np.max(np.abs(g))) for g in ref.grads)
    weight_diff = _largest_difference([layer.kernel for layer in dense] + [layer.bias for layer in dense], ref.W + ref.b)
    return {"gradient": gradient_diff, "gradient_scale": gradient_scale, "weights": weight_diff, "steps": steps,
            "rows": rows}


def _largest_difference(arrays, others):
    return max(float(np.max(np.abs(np.ravel(a) - np.ravel(b)))) for a, b in zip(arrays, others))
