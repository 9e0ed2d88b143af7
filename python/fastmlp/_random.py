"""The global seed source: every new model draws its own seed from here."""

import numpy as np

_generator = np.random.default_rng()


def seed(value):
    global _generator
    _generator = np.random.default_rng(value)


def draw_seed():
    return int(_generator.integers(0, 2**63 - 1))
