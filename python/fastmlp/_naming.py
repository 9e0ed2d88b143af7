"""Keras-style automatic names: dense, dense_1, dense_2, ..."""

import itertools
import re
from collections import defaultdict

_counters = defaultdict(itertools.count)


def reset_names():
    """Starts the automatic names again from "dense", "dropout", ... (Keras's clear_session)."""
    _counters.clear()


def unique_name(prefix):
    index = next(_counters[prefix])
    return prefix if index == 0 else f"{prefix}_{index}"


def snake_case(class_name):
    """Keras's rule: a capital starting a lower-case word, or following a lower-case letter, starts a
    new word, so runs of capitals stay together: PReLU -> p_re_lu, BatchNormalization -> batch_normalization."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
