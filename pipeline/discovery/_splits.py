"""Which examples the data test reads: the training and validation splits, never the test split.

The test split stays for the metric a trial reports, so no verdict that chooses what to search
(or what to report as discovered) has seen it. The reader fits on the training split; the two
folds of the cross-fitted scoring (each scored by classifiers fitted on the other) are examples
it never saw: the validation split and, where the training split has more examples than the
reader uses (``max_train``), as many unused training examples; else the two halves of the
validation split. Measured both ways on small data: a reader trained on 160 rather than 240
never-warped shapes no longer read their rotation whole, and a third of the training split held
out made upright textures read as turned within 15 degrees; halved folds cost power instead
(300 signals no longer placed their shift below its margin; 600 do).
"""

from __future__ import annotations

from pipeline.data import Dataset, Split


def splits_for_test(
    dataset: Dataset, max_train: int, max_held_out: int
) -> tuple[Split, Split, Split]:
    """(the reader's split, one scored fold, the other scored fold)."""
    train, val = dataset.train, dataset.val
    wanted = min(len(val), max_held_out)
    if len(train) - max_train >= wanted:  # unused training examples make a whole fold
        cut = len(train) - wanted
        return _part(train, 0, cut), _part(train, cut, len(train)), val
    half = len(val) // 2
    return train, _part(val, 0, half), _part(val, half, len(val))


def _part(split: Split, start: int, stop: int) -> Split:
    return Split(split.inputs[start:stop], split.targets[start:stop])
