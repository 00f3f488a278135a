"""Readers: large images get a pooled trunk (no huge flatten layer) that still sees where
things are; small images keep the flatten trunk."""

import torch

from pipeline.discovery._readers import HIDDEN, Reader, _GridTrunk, _PooledTrunk


def _parameters(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_large_rgb_images_get_a_small_pooled_trunk():
    reader = Reader("image", (3, 64, 64), 10, [12, 13, 2])
    assert isinstance(reader.trunk, _PooledTrunk)
    assert _parameters(reader.trunk) < 100_000  # a flatten layer alone would hold ~1M
    out = reader(torch.rand(4, 3, 64, 64), torch.zeros(4, 10))
    assert [o.shape for o in out] == [(4, 12), (4, 13), (4, 2)]
    big = Reader("image", (3, 128, 128), 0, [2])  # the same size whatever the input's
    assert _parameters(big.trunk) == _parameters(reader.trunk)


def test_small_images_keep_the_flatten_trunk():
    for shape in ((1, 8, 8), (1, 20, 20), (28, 28), (3, 28, 28)):
        assert isinstance(Reader("image", shape, 0, [2]).trunk, _GridTrunk)


def test_the_pooled_trunk_sees_position_and_orientation():
    torch.manual_seed(0)
    trunk = _PooledTrunk((3, 64, 64))
    x = torch.zeros(1, 3, 64, 64)
    x[..., 20:30, 16:40] = 1.0  # a bar off centre
    moved = x.roll(12, dims=-1)  # the same bar elsewhere: global pooling alone would not see it
    turned = x.transpose(-1, -2)
    features = trunk(torch.cat([x, moved, turned]))
    assert features.shape == (3, HIDDEN)
    assert (features[0] - features[1]).norm() > 1e-3 * features[0].norm()
    assert (features[0] - features[2]).norm() > 1e-3 * features[0].norm()
