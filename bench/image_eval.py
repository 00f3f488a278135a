"""Evaluation speed of the image backbone: ``ImageNet`` without gradients (channels-last
convolutions and pooling) against its layers in the default layout, on one thread, for the
batches evaluation runs (quickstart's 24 x 24 digits, 28 x 28 shapes, 64 x 64 RGB). Interleaved,
median of 15 calls after 2 warm-up calls; prints the largest difference of the outputs and
``speedup_<side>`` = default / channels-last (target > 1.3 at every size)."""

from __future__ import annotations

import torch
from _timing import interleaved_medians

from pipeline.models import ImageConfig, ImageNet

SHAPES = ((1, 24, 24, 512), (1, 28, 28, 256), (3, 64, 64, 128))
WARMUP, ROUNDS = 2, 15


def measure(net: ImageNet, x: torch.Tensor) -> tuple[float, float, float]:
    """Median seconds channels-last, default layout, and the largest output difference."""
    fast = lambda: net(x)  # noqa: E731
    default = lambda: net.head(net.features(x))  # noqa: E731
    with torch.no_grad():
        for _ in range(WARMUP):
            fast(), default()
        ours, layers, _ = interleaved_medians(fast, default, ROUNDS)
        return ours, layers, float((fast() - default()).abs().max())


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    for channels, height, width, batch in SHAPES:
        net = ImageNet(ImageConfig(), (channels, height, width), 10).eval()
        ours, layers, difference = measure(net, torch.rand(batch, channels, height, width))
        print(f"seconds_{height}: channels-last {ours:.4f} default {layers:.4f}")
        print(f"max_abs_diff_{height}: {difference:.2e}")
        print(f"speedup_{height}: {layers / ours:.2f}")


if __name__ == "__main__":
    main()
