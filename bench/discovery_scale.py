"""CPU seconds of the discovery test on large images: 2,000 random 64 x 64 RGB images (smooth
blobs, labelled by a coin), the image group SO2*T2*scale (four generators) and SO2*T2*scale*D1
(five), one thread. Prints ``cpu_seconds`` per group; the target is under 60 for five.

Run: ``python bench/discovery_scale.py [--n 2000] [--side 64] [--groups SO2*T2*scale*D1]``.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from pipeline.data import Dataset
from pipeline.discovery import TestConfig, discovery_test
from pipeline.groups import get_group


def random_images(n: int, side: int, seed: int) -> Dataset:
    """Smooth random RGB images (noise blurred by upsampling) with random binary labels."""
    rng = torch.Generator().manual_seed(seed)
    coarse = torch.rand(n, 3, side // 8, side // 8, generator=rng)
    x = F.interpolate(coarse, size=side, mode="bilinear", align_corners=False)
    y = torch.randint(2, (n,), generator=rng)
    return Dataset.from_tensors(
        x,
        y,
        seed,
        name="random64",
        kind="image",
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group="trivial",
        num_classes=2,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--side", type=int, default=64)
    parser.add_argument("--groups", nargs="*", default=["SO2*T2*scale", "SO2*T2*scale*D1"])
    parser.add_argument(
        "--directions",
        type=int,
        default=None,
        help="proposed directions (default: the test's own default)",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = random_images(args.n, args.side, seed=0)
    for name in args.groups:
        started = time.process_time()
        config = TestConfig(seed=0, directions=args.directions)
        verdicts = discovery_test(data, get_group(name), config)
        seconds = time.process_time() - started
        found = ",".join(v.generator for v in verdicts if v.present) or "-"
        size = f"n={args.n}, {args.side}x{args.side}x3"
        print(
            f"{name} (directions {args.directions}): {len(verdicts)} verdicts "
            f"(present: {found}), cpu_seconds: {seconds:.1f}  ({size})"
        )


if __name__ == "__main__":
    main()
