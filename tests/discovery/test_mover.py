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
    which = torch.arange(96) % len(found)  # every probe, the rotation's band-limited one too
    moves = {p: ((which == p).nonzero().squeeze(1), mover.draw(p, 16, rng)) for p in range(6)}
    moved, targets = mover.move_batch(moves, images, labels, rng)
    assert sum(mover.halves[p] is not None for p in moves) == 5  # shared: five probes
    for p, (rows, amounts) in moves.items():
        alone, alone_targets = mover.move(p, amounts, images[rows], labels[rows], rng)
        assert torch.allclose(moved[rows], alone, atol=1e-5), found[p].generator
        assert torch.equal(targets[p], alone_targets)
        if not torch.equal(amounts, torch.zeros_like(amounts)):
            assert not torch.allclose(moved[rows], images[rows], atol=1e-3)
