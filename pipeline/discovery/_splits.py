"""Which examples the data test reads: the training and validation splits, never the test split.

The test split stays for the metric a trial reports, so no verdict that chooses what to search
(or what to report as discovered) has seen it. The reader fits on the training split less a
held-out fold; that fold and the validation split are the two folds of the cross-fitted scoring
(each scored by classifiers fitted on the other).
"""

from __future__ import annotations

from pipeline.data import Dataset, Split

MIN_READER_SHARE = 2 / 3  # the held-out fold takes at most a third of the training split


def splits_for_test(dataset: Dataset, max_held_out: int) -> tuple[Split, Split, Split]:
    """(reader's split, held-out fold from training, validation fold)."""
    train, val = dataset.train, dataset.val
    held = min(len(val), max_held_out, int(len(train) * (1 - MIN_READER_SHARE)))
    cut = len(train) - held
    reader = Split(train.inputs[:cut], train.targets[:cut])
    return reader, Split(train.inputs[cut:], train.targets[cut:]), val
