"""Datasets with known symmetries, their shifted test sets, and bring-your-own factories.

>>> from pipeline.data import build_dataset
>>> data = build_dataset({"name": "signals", "length": 16}, seed=0)
>>> data.true_group, data.kind, len(data.train)
('shift16', 'sequence', 600)
"""

from pipeline.data._base import (
    Dataset,
    DatasetError,
    Preprocess,
    Split,
    make_splits,
    split_indices,
)
from pipeline.data._registry import BUILTIN, build_dataset, load_factory, option_types
from pipeline.data._shifts import Shift, lattice_size, shift_grid, shifted_test_set

__all__ = [
    "BUILTIN",
    "Dataset",
    "DatasetError",
    "Preprocess",
    "Shift",
    "Split",
    "build_dataset",
    "lattice_size",
    "load_factory",
    "make_splits",
    "option_types",
    "shift_grid",
    "shifted_test_set",
    "split_indices",
]
