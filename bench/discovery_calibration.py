"""The discovery test's level, measured: null simulations per data kind, and power by extent.

Null: data truly symmetric under the tested generator (images turned uniformly by a bilinear
warp and textures never warped, 2D point sets turned in the plane (with labels, and with an
equivariant regression target, where the residual reading takes part), 3D point sets spun about z,
sequences shifted cyclically, lattices translated by whole sites), tested moved against
unmoved. A rejection is the test calling the generator broken (``invariance_p`` <= alpha: the
first step's exact sign tests, the two cross-fitted folds combined as 2 * min p), the error the
level bounds; it prints ``type_I_present: X (n=N)`` over all kinds and one line per kind.
Power: 2D point sets spread uniformly over +-E degrees (a reader with the default settings per
E), the share of simulations that call the rotation present (upper confidence bound of the
first step's TV below 1/2; the truth for E above the 15-degree resolution) and that reject
invariance, per E.

Affording hundreds of simulations per kind on two cores: the level is a property of the held-out
scoring *given a reader fitted on the training split only* (under the null, x and x moved are
exchangeable whatever the reader, so the sign tests are exact conditionally on it). So one reader
is trained per (kind, seed) and each simulation redraws the held-out inputs (disjoint draws from
the same distribution) and the test's own randomness (moves, signs, jitter); readers train 20
epochs (fewer than the default's 80: a weaker reader changes the power, not the level).

Run: ``python bench/discovery_calibration.py [--sims 200] [--readers 2] [--held-out 100]``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.discovery.never_warped: the never-warped textures

from pipeline.actions import act  # noqa: E402
from pipeline.data import Dataset  # noqa: E402
from pipeline.discovery import TestConfig  # noqa: E402
from pipeline.discovery._mover import Conditioner, Mover  # noqa: E402
from pipeline.discovery._probes import probes  # noqa: E402
from pipeline.discovery._residuals import residuals_for  # noqa: E402
from pipeline.discovery._test import _Scorer, _verdict  # noqa: E402
from pipeline.discovery._training import train_reader  # noqa: E402
from pipeline.discovery._twosample import combined_p, sign_test_p  # noqa: E402
from pipeline.groups import get_group  # noqa: E402
from tests.discovery.never_warped import textures  # noqa: E402

Sampler = Callable[[int, int], tuple[torch.Tensor, torch.Tensor]]  # (n, seed) -> (x, y)


def _turn(points: torch.Tensor, angle: torch.Tensor, axes: tuple[int, int]) -> torch.Tensor:
    i, j = axes
    out = points.clone()
    c, s = angle.cos()[:, None], angle.sin()[:, None]
    out[..., i] = c * points[..., i] - s * points[..., j]
    out[..., j] = s * points[..., i] + c * points[..., j]
    return out


def _hooks(n: int, seed: int, spread: float = 180.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Three asymmetric 2D curves turned uniformly within +-spread degrees."""
    rng = torch.Generator().manual_seed(seed)
    s = torch.linspace(0, 1, 10)
    shapes = torch.stack(
        [
            torch.stack([0.8 * torch.cos(3 * s), 0.8 * torch.sin(3 * s)], 1),
            torch.stack([2 * s - 1, 0.4 * torch.sin(5 * s) + 0.3 * s], 1),
            torch.stack([-0.5 + s, 1.0 - 2.5 * s * s], 1),
        ]
    )
    y = torch.randint(3, (n,), generator=rng)
    x = shapes[y] + 0.03 * torch.randn(n, 10, 2, generator=rng)
    angle = math.radians(spread) * (2 * torch.rand(n, generator=rng) - 1)
    return _turn(x, angle, (0, 1)), y


def _letters_3d(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Two asymmetric 3D curves spun uniformly about z."""
    rng = torch.Generator().manual_seed(seed)
    s = torch.linspace(0, 1, 12)
    hook = torch.stack([s, 0.5 * s * s, 0.3 * torch.sin(4 * s)], 1)
    coil = torch.stack([0.6 * torch.cos(3 * s), 0.2 + 0.0 * s, s - 0.5], 1)
    shapes = torch.stack([hook, coil])
    y = torch.randint(2, (n,), generator=rng)
    x = shapes[y] + 0.03 * torch.randn(n, 12, 3, generator=rng)
    return _turn(x, 2 * math.pi * torch.rand(n, generator=rng), (0, 1)), y


def _waves(n: int, seed: int, length: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """Two wave shapes with noise, shifted cyclically by a uniform number of positions."""
    rng = torch.Generator().manual_seed(seed)
    t = torch.arange(length) * 2 * math.pi / length
    shapes = torch.stack([0.6 + torch.sin(t), 0.6 + torch.relu(torch.sin(2 * t)) * 1.5])
    y = torch.randint(2, (n,), generator=rng)
    x = shapes[y] + 0.1 * torch.randn(n, length, generator=rng)
    shifts = torch.randint(length, (n,), generator=rng)
    index = (torch.arange(length)[None, :] - shifts[:, None]) % length
    return torch.gather(x, 1, index)[:, None], y


def _spins(n: int, seed: int, side: int = 12) -> tuple[torch.Tensor, torch.Tensor]:
    """Periodic random spin fields (+-1), two correlation lengths (the label): translation
    invariant by whole sites by construction (a circular smoothing of iid noise)."""
    rng = torch.Generator().manual_seed(seed)
    y = torch.randint(2, (n,), generator=rng)
    noise = torch.randn(n, side, side, generator=rng)
    f = torch.fft.fftfreq(side)
    radius = torch.sqrt(f[:, None] ** 2 + f[None, :] ** 2)
    width = torch.tensor([0.15, 0.35])[y].view(n, 1, 1)
    smooth = torch.fft.ifft2(torch.fft.fft2(noise) * torch.exp(-((radius / width) ** 2))).real
    return torch.sign(smooth), y


def _digits_turned(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Digits (scikit-learn's 8x8, on a 20x20 canvas) turned uniformly by a bilinear warp. The
    1,797 digits are drawn with replacement, each with a fresh angle: iid draws from "a digit,
    turned uniformly" (more than there are digits: the null pools need thousands)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from discovery_cases import _digits

    x, y, rng = _digits({"n": 1797}, seed)
    pick = torch.randint(len(x), (n,), generator=rng)
    group = get_group("SO2")
    angle = 2 * math.pi * torch.rand(n, generator=rng)
    return act(group, group.exp(angle[:, None]), x[pick], "image"), y[pick]


def _hooks_pulled(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Regression with an equivariant target: the hooks turned uniformly, each point's target
    its position pulled towards the set's centre by an inverse-square law (a law that turns
    with the points, like a next state); the residual reading takes part."""
    x, _ = _hooks(n, seed)
    offset = x - x.mean(dim=1, keepdim=True)
    pull = offset / (offset.pow(2).sum(-1, keepdim=True) + 0.1).pow(1.5)
    return x - 0.05 * pull, x


def _textures(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    splits = [getattr(textures(n, 28, seed), name) for name in ("train", "val", "test")]
    return torch.cat([s.inputs for s in splits]), torch.cat([s.targets for s in splits])


# kind -> (sampler, kind of data, group, probe tested)
KINDS: dict[str, tuple[Sampler, str, str, str]] = {
    "images_warped": (_digits_turned, "image", "SO2", "rot"),
    "images_never_warped": (_textures, "image", "SO2", "rot"),
    "points_2d": (_hooks, "points", "SO2", "rot"),
    "regression_2d": (_hooks_pulled, "points", "SO2", "rot"),
    "points_3d": (_letters_3d, "points", "SO3", "rz"),
    "sequences": (_waves, "sequence", "shift16", "shift1"),
    "lattices": (_spins, "lattice", "T2", "tx"),
}


class _Fitted:
    """One reader trained on a training split, ready to score fresh held-out samples."""

    def __init__(
        self,
        x,
        y,
        kind: str,
        group_name: str,
        generator: str,
        seed: int,
        config: TestConfig | None = None,
    ):
        data = _dataset(x, y, kind, seed)
        group = get_group(group_name, learned_domain=data.learned_domain).to(dtype=torch.float32)
        side = x.shape[-1] if kind == "lattice" else 0
        found = probes(group, kind, side)
        self.p = [q.generator for q in found].index(generator)
        self.config = config or TestConfig(epochs=20, epochs_per_probe=20, seed=seed)
        mover = Mover(data, group, found, torch.device("cpu"))
        conditioner = Conditioner(data, seed)
        rng = torch.Generator().manual_seed(seed)
        reader = train_reader(data, mover, conditioner, self.config, rng)
        train = (data.train.inputs.float(), data.train.targets)
        residuals = residuals_for(data, conditioner, train, seed)  # regression only
        self.scorer = _Scorer(reader, mover, conditioner, rng, residuals)
        self.probe = found[self.p]

    def invariance_p(self, folds) -> float:
        differences, _ = self.scorer.differences(self.p, 0, folds)
        return combined_p([sign_test_p(d) for d in differences])

    def verdict(self, folds):
        per_step, reference = [], None
        for j in range(len(self.probe.steps)):
            differences, reference = self.scorer.differences(self.p, j, folds, reference)
            per_step.append(differences)
        return _verdict(self.probe, per_step, self.config)


def _dataset(x: torch.Tensor, y: torch.Tensor, kind: str, seed: int) -> Dataset:
    """Labels (integers) make a classification dataset; points (floats) an equivariant
    regression."""
    if y.is_floating_point():
        task = {"task": "regression", "metric": "mse", "metric_mode": "min"}
        return Dataset.from_tensors(
            x,
            y,
            seed,
            name="calibration",
            kind=kind,
            true_group="trivial",
            num_classes=None,
            target_kind="points",
            **task,
        )
    return Dataset.from_tensors(
        x,
        y,
        seed,
        name="calibration",
        kind=kind,
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group="trivial",
        num_classes=int(y.max()) + 1,
    )


def _folds(x, y, start: int, size: int):
    a, b = slice(start, start + size), slice(start + size, start + 2 * size)
    return [(x[a].float(), y[a]), (x[b].float(), y[b])]


def _null(kind: str, sims: int, readers: int, held_out: int, alpha: float) -> tuple[int, int]:
    sampler, data_kind, group, generator = KINDS[kind]
    rejections, per_reader = 0, math.ceil(sims / readers)
    for r in range(readers):
        fitted = _Fitted(*sampler(600, 1000 + r), data_kind, group, generator, seed=r)
        x, y = sampler(2 * held_out * per_reader, 2000 + r)  # disjoint held-out draws
        for s in range(per_reader):
            rejections += fitted.invariance_p(_folds(x, y, 2 * held_out * s, held_out)) <= alpha
    return rejections, readers * per_reader


def _power(extents: list[float], sims: int, held_out: int, alpha: float) -> None:
    for extent in extents if sims else []:
        default = TestConfig(seed=0)  # the default reader: power is its own
        fitted = _Fitted(*_hooks(600, 3000, extent), "points", "SO2", "rot", 0, default)
        x, y = _hooks(2 * held_out * sims, 4000, extent)
        present = rejected = 0
        for s in range(sims):
            folds = _folds(x, y, 2 * held_out * s, held_out)
            verdict = fitted.verdict(folds)
            present += verdict.p_value <= alpha
            rejected += verdict.invariance_p <= alpha
        print(
            f"power points_2d +-{extent:g} deg: present {present / sims:.2f}  "
            f"invariance rejected {rejected / sims:.2f}  (n={sims})",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sims", type=int, default=200, help="null simulations per kind")
    parser.add_argument("--readers", type=int, default=2, help="readers trained per kind")
    parser.add_argument("--held-out", type=int, default=100, help="inputs per held-out fold")
    parser.add_argument("--power-sims", type=int, default=40)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--kinds", nargs="*", default=list(KINDS))
    args = parser.parse_args()
    torch.set_num_threads(1)
    started, total, count = time.perf_counter(), 0, 0
    lines = []
    for kind in args.kinds:
        rejections, n = _null(kind, args.sims, args.readers, args.held_out, args.alpha)
        total, count = total + rejections, count + n
        lines.append(f"type_I_present[{kind}]: {rejections / n:.3f} (n={n})")
        print(lines[-1], flush=True)
    print(f"type_I_present: {total / max(count, 1):.3f} (n={count})")
    _power([15.0, 30.0, 60.0, 120.0, 180.0], args.power_sims, args.held_out, args.alpha)
    print(f"wall_seconds: {time.perf_counter() - started:.0f}")


if __name__ == "__main__":
    main()
