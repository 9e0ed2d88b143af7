"""FLOP counts of MLP training and the machine's large-GEMM speed, to turn epoch times into efficiencies."""

import time

import numpy as np


def training_flops(sizes, rows):
    """FLOPs of one training epoch over `rows` samples: 2*m*n*k per matrix product, and per Dense
    layer (in -> out) the products X W (forward), dW = X^T dZ and dX = dZ W^T, the last skipped for
    the first layer (nothing below needs it). So 4*rows*in*out for the first layer and
    6*rows*in*out for the others. Biases, activations, the loss and Adam are left out: they are
    O(rows*out + weights), under 1% here."""
    return sum((4 if index == 0 else 6) * rows * fan_in * units
               for index, (fan_in, units) in enumerate(zip(sizes[:-1], sizes[1:])))


def _best_seconds(fn, repeats):
    fn()  # warm-up: page faults, thread pool start-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def numpy_gemm_flops(n=2048, repeats=5):
    """FLOP/s of NumPy's float32 (n, n) @ (n, n) (the BLAS NumPy ships with), best of `repeats`."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    out = np.empty((n, n), np.float32)
    return 2 * n**3 / _best_seconds(lambda: np.matmul(a, b, out=out), repeats)


def fastmlp_gemm_flops(n=2048, repeats=5):
    """FLOP/s of fastmlp's own float32 kernel on an (n, n) @ (n, n) product: predict() through one
    linear Dense(n) layer without bias is exactly X W, with no elementwise pass."""
    import fastmlp as fm

    model = fm.Sequential([fm.layers.Input((n,)), fm.layers.Dense(n, use_bias=False)])
    x = np.random.default_rng(0).random((n, n), dtype=np.float32)
    return 2 * n**3 / _best_seconds(lambda: model._core.predict([x], n), repeats)


def torch_gemm_flops(n=2048, repeats=5):
    """FLOP/s of PyTorch's float32 torch.mm (its CPU BLAS: MKL or oneDNN on x86-64), best of `repeats`."""
    import torch

    a = torch.rand((n, n), dtype=torch.float32, generator=torch.Generator().manual_seed(0))
    out = torch.empty((n, n), dtype=torch.float32)
    return 2 * n**3 / _best_seconds(lambda: torch.mm(a, a, out=out), repeats)
