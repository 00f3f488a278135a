"""A training batch's moves: the probes warped in halves share one pair of warps, with the same
result as moving each probe's rows on its own."""

import torch

from pipeline.discovery import _mover, probes
from pipeline.groups import get_group
from tests.discovery.never_warped import image_dataset


def test_a_batch_moves_each_probes_rows_as_moving_them_alone_does(monkeypatch):
    # no sub-pixel jitter: the per-probe and the shared warps then draw nothing at random
    monkeypatch.setattr(
        _mover, "_jitter", lambda group, n, side, rng: torch.eye(group.dim).repeat(n, 1, 1)
    )
    rng = torch.Generator().manual_seed(0)
    images = torch.nn.functional.avg_pool2d(torch.rand(96, 1, 20, 20, generator=rng), 3, 1, 1)
    labels = torch.randint(2, (96,), generator=rng)
    data = image_dataset(images, labels, 0, "smooth", upright=True)
    group = get_group("affine2").to(dtype=torch.float32)
    found = probes(group, "image")
    mover = _mover.Mover(data, group, found, torch.device("cpu"))
    which = torch.arange(96) % len(found)  # every probe, the band-limited turn and shifts too
    moves = {p: ((which == p).nonzero().squeeze(1), mover.draw(p, 16, rng)) for p in range(6)}
    moved, targets = mover.move_batch(moves, images, labels, rng)
    assert sum(mover.halves[p] is not None for p in moves) == 3  # zoom, stretch and shear
    assert [found[p].generator for p in moves if mover.translated[p]] == ["tx", "ty"]
    for p, (rows, amounts) in moves.items():
        alone, alone_targets = mover.move(p, amounts, images[rows], labels[rows], rng)
        assert torch.allclose(moved[rows], alone, atol=1e-5), found[p].generator
        assert torch.equal(targets[p], alone_targets)
        if not torch.equal(amounts, torch.zeros_like(amounts)):
            assert not torch.allclose(moved[rows], images[rows], atol=1e-3)


def _centroids(images: torch.Tensor) -> torch.Tensor:
    """Intensity centroids (x, y) in pixels, per image."""
    grid = torch.arange(images.shape[-1], dtype=images.dtype)
    mass = images.sum(dim=(-2, -1)).squeeze(1)
    x = (images.sum(dim=-2).squeeze(1) * grid).sum(-1) / mass
    y = (images.sum(dim=-1).squeeze(1) * grid).sum(-1) / mass
    return torch.stack([x, y], dim=1)


def test_image_translations_move_content_exactly_and_leave_the_reference_arm_unjittered():
    side = 24
    grid = torch.arange(side, dtype=torch.float32) - (side - 1) / 2
    blob = torch.exp(-(grid[None, :] ** 2 + grid[:, None] ** 2) / 8)  # smooth, centred
    images = blob.expand(16, 1, side, side).clone()
    labels = torch.zeros(16).long()
    data = image_dataset(images, labels, 0, "blobs", upright=True)
    group = get_group("T2").to(dtype=torch.float32)
    found = probes(group, "image")
    mover = _mover.Mover(data, group, found, torch.device("cpu"))
    assert mover.translated == [True, True] and mover.halves == [None, None]
    rng = torch.Generator().manual_seed(0)
    first, _ = mover.arm(0, 0, images, labels, False, rng)
    second, _ = mover.arm(0, 0, images, labels, False, rng)
    assert torch.equal(first, second)  # the reference arm draws no jitter
    assert torch.allclose(_centroids(first), _centroids(images), atol=1e-4)
    for p, axis in ((0, 0), (1, 1)):  # tx moves along x, ty along y
        amounts = mover.step(p, 0, 16, rng)
        moved, _ = mover.move(p, amounts, images, labels, rng)
        pixels = mover.elements(p, amounts)[:, axis, 2] * side / 2  # the plane's unit: half a side
        shift = _centroids(moved) - _centroids(first)
        assert torch.allclose(shift[:, axis], pixels, atol=1e-3), found[p].generator
        assert shift[:, 1 - axis].abs().max() < 1e-3
