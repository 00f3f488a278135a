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

import math
from dataclasses import replace

import torch.nn.functional as F

from pipeline.data import Dataset, Split
from pipeline.discovery._readers import FLATTEN_SIDE, POOLED_SIDE
from pipeline.kinds import kind_record


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


def at_reader_resolution(dataset: Dataset) -> Dataset:
    """Images larger than FLATTEN_SIDE block-averaged down to at most POOLED_SIDE a side (the
    training and validation splits; the test never reads the test split).

    A reader of large images only ever saw such block averages (its trunk averaged k x k blocks
    first), but the test moved the full images, and a band-limited rotation of 2,000 RGB images
    of 64 x 64 for every training epoch cost minutes. Averaging first and moving the averages
    is the same view, and both arms pass through it alike, so neutrality holds: the moves, the
    grid (1/8 of the side, 15 degrees) and the extents are relative to the side, not to pixels.
    """
    side = max(dataset.train.inputs.shape[-2:]) if kind_record(dataset.kind).interpolated else 0
    if side <= FLATTEN_SIDE:
        return dataset
    block = math.ceil(side / POOLED_SIDE)

    def pooled(split: Split) -> Split:
        inputs = split.inputs.float()
        images = inputs[:, None] if inputs.dim() == 3 else inputs
        # adaptive windows are placed symmetrically (a ragged last block would read as broken
        # mirror symmetry once the averages, not the images, are flipped)
        small = F.adaptive_avg_pool2d(images, [math.ceil(n / block) for n in images.shape[-2:]])
        return Split(small[:, 0] if inputs.dim() == 3 else small, split.targets)

    return replace(dataset, train=pooled(dataset.train), val=pooled(dataset.val))
