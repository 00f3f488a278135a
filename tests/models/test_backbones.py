"""The image backbone evaluates in channels-last layout: its layers' outputs within float
rounding, and trains through its layers exactly."""

import pytest
import torch

from pipeline.models import ImageConfig, ImageNet


def _network_and_images(channels: int, height: int, width: int):
    torch.manual_seed(0)
    net = ImageNet(ImageConfig(), (channels, height, width), 5)
    x = torch.rand(7, channels, height, width)
    x[:, :, : height // 3] = 0.0  # a flat background, where pooled values tie
    return net, x


@pytest.mark.parametrize("shape", [(1, 24, 24), (2, 13, 16), (3, 9, 7)])
def test_evaluation_equals_the_layers_in_the_default_layout_within_rounding(shape):
    net, x = _network_and_images(*shape)
    with torch.no_grad():
        fast = net(x)  # channels-last convolutions and pooling
        layer_by_layer = net.head(net.features(x))
    assert fast.is_contiguous()
    torch.testing.assert_close(fast, layer_by_layer, rtol=1e-5, atol=1e-6)


def test_training_runs_through_the_layers_in_the_default_layout():
    net, x = _network_and_images(1, 24, 24)
    out = net(x)
    assert torch.equal(out, net.head(net.features(x)))
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())
