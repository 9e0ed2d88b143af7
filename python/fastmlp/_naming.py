"""Keras-style automatic names: dense, dense_1, dense_2, ..."""

import itertools
import re
from collections import defaultdict

_counters = defaultdict(itertools.count)


def unique_name(prefix):
    index = next(_counters[prefix])
    return prefix if index == 0 else f"{prefix}_{index}"


def snake_case(class_name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()
