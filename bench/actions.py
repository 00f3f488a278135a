"""Augmentation speed: sampling and applying affine2 elements to a batch of 256 images, forward and
backward, against kornia's RandomAffine on the same batch.

Ours: ``LearnableAugmentation`` over ``affine2`` (sample coefficients, exp, affine_grid +
grid_sample), backward to the learnable widths. kornia: ``RandomAffine`` with comparable ranges,
backward to the images (its ranges are not learnable). Both on CPU, interleaved, median of 30
batches after 5 warm-up batches. Prints each per-batch time and speed = kornia / ours
(target >= 1.0). Needs kornia: ``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import torch
from _timing import interleaved_medians

from pipeline.groups import get_group
from pipeline.methods.augment import LearnableAugmentation

BATCH, SIDE, WARMUP, ROUNDS = 256, 64, 5, 30


def ours() -> tuple[LearnableAugmentation, torch.Generator]:
    group = get_group("affine2").to(dtype=torch.float32)
    return LearnableAugmentation(group, "image", "uniform", 0.3, 0.5, 0), torch.Generator()


def kornia_affine():
    import kornia.augmentation as K

    return K.RandomAffine(degrees=54.0, translate=(0.15, 0.15), scale=(0.8, 1.2), shear=10.0, p=1.0)


def step_ours(augmentation: LearnableAugmentation, rng: torch.Generator, x: torch.Tensor) -> None:
    moved, _ = augmentation(x, rng)
    augmentation.zero_grad(set_to_none=True)
    moved.square().mean().backward()


def step_kornia(affine, x: torch.Tensor) -> None:
    x = x.detach().requires_grad_(True)
    affine(x).square().mean().backward()


def main() -> None:
    x = torch.rand(BATCH, 1, SIDE, SIDE, generator=torch.Generator().manual_seed(0))
    augmentation, rng = ours()
    affine = kornia_affine()
    mine = lambda: step_ours(augmentation, rng, x)  # noqa: E731
    theirs = lambda: step_kornia(affine, x)  # noqa: E731
    interleaved_medians(mine, theirs, WARMUP)
    mine_s, theirs_s, _ = interleaved_medians(mine, theirs, ROUNDS)
    print(f"batch: {BATCH} images of {SIDE}x{SIDE}, torch threads {torch.get_num_threads()}")
    print(f"ours_ms_per_batch: {1000 * mine_s:.2f}")
    print(f"kornia_ms_per_batch: {1000 * theirs_s:.2f}")
    print(f"speed_vs_kornia: {theirs_s / mine_s:.3f} (target >= 1.0)")


if __name__ == "__main__":
    main()
