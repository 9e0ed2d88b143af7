"""Evidence that the NumPy peer computes what fastmlp computes, so that their times compare the same work.

Both networks start from fastmlp's initial weights and take Adam steps on the same batches; the
gradients of the first step and the weights after the last must agree to float32 rounding. Two
steps rather than one: Adam's first step is lr * g / (|g| + eps'), nearly lr * sign(g), which
would hide a wrongly scaled gradient; the second step depends on the ratio of two gradients.
"""

import numpy as np

from numpy_mlp import NumpyMLP
from peers import FastmlpPeer
from workloads import BETA_1, BETA_2, EPSILON, LEARNING_RATE


def _dense_cores(model):
    return [layer._core for layer in model.layers if hasattr(layer._core, "kernel_gradient")]


def compare_one_step(workload, rows=None, steps=2):
    """Largest absolute differences between fastmlp and the NumPy network, as a dict with
    "gradient" (first step's dW and db), "gradient_scale" (the largest |gradient|, so that a
    difference can be read against it) and "weights" (after `steps` Adam steps)."""
    rows = rows or workload.batch_size
    fast = FastmlpPeer(workload).model
    cores = _dense_cores(fast)
    ref = NumpyMLP(workload.sizes, workload.hidden, workload.output, workload.loss, rows, LEARNING_RATE,
                   BETA_1, BETA_2, EPSILON)
    ref.set_weights([c.kernel for c in cores], [np.ravel(c.bias) for c in cores])  # bias views are (1, units)
    gradient_diff = gradient_scale = 0.0
    for step in range(steps):
        first = (step * rows) % max(1, workload.rows - rows + 1)
        x = np.ascontiguousarray(workload.x[first:first + rows])
        y = np.ascontiguousarray(workload.targets[first:first + rows])
        fast.train_on_batch(x, y)
        ref.train_step(x, y)
        if step == 0:
            fast_grads = [c.kernel_gradient for c in cores] + [c.bias_gradient for c in cores]
            gradient_diff = _largest_difference(fast_grads, ref.grads)
            gradient_scale = max(float(np.max(np.abs(g))) for g in ref.grads)
    weight_diff = _largest_difference([c.kernel for c in cores] + [c.bias for c in cores], ref.W + ref.b)
    return {"gradient": gradient_diff, "gradient_scale": gradient_scale, "weights": weight_diff, "steps": steps,
            "rows": rows}


def _largest_difference(arrays, others):
    return max(float(np.max(np.abs(np.ravel(a) - np.ravel(b)))) for a, b in zip(arrays, others))
