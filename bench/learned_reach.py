"""Do learned bases find the true direction AND keep their reach? (SEMoLA-style learned<k>)

Two cases, each over several seeds through ``run_trial`` (small: a subset of digits, few epochs):

- ``rotation``: learned1 on digits rotated uniformly (true algebra: so(2)).
- ``translation``: learned2 on digits translated along both axes (true algebra: the two
  translations), built through the bring-your-own dataset API (``translated_digits`` below).

Per seed it prints each learned generator's normalized width, whether it is active, its cosine
to the true algebra, and the principal-angle cosines between the learned span and the true one.
A seed passes when every learned generator is active and every span cosine reaches the bar
(0.95 for rotation, 0.9 for translation); the last line also counts the seeds whose span alone
reaches it.
Run: ``python bench/learned_reach.py [rotation|translation] [--seeds 5] [--set key=value ...]``.
"""

from __future__ import annotations

import argparse
import time

import torch

from pipeline.data import Dataset
from pipeline.data.digits import DigitsOptions, load_images
from pipeline.groups import get_group

COMMON = {"epochs": 20, "robustness": "none", "eval_samples": 4, "val_samples": 2}
CASES = {
    "rotation": (
        {
            "dataset": {"name": "digits", "transform": "SO2", "limit": 900},
            "candidate_group": "learned1",
        },
        0.95,
    ),
    "translation": (
        {
            "dataset": {
                "factory": "bench.learned_reach:translated_digits",
                "limit": 900,
                "max_shift": 0.125,
                "size": 32,
            },
            "candidate_group": "learned2",
        },
        0.9,
    ),
}


def translated_digits(options: dict, seed: int) -> Dataset:
    """Digits shifted uniformly along both axes by up to ``max_shift`` of the side (true: T2),
    in a frame of ``size`` pixels wide enough that no shift cuts the digit (16 pixels)."""
    images, labels = load_images(
        DigitsOptions(limit=options.get("limit", 0), size=options.get("size", 32))
    )
    rng = torch.Generator().manual_seed(seed)
    shifts = 2 * torch.rand(len(images), 2, generator=rng, dtype=torch.float64) - 1
    group = get_group("T2")
    moved = _translate(images, shifts * 2 * options.get("max_shift", 0.125))
    return Dataset.from_tensors(
        moved,
        labels,
        seed,
        name="translated_digits",
        kind="image",
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group=group.name,
        num_classes=10,
        options=options,
    )


def _translate(images: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """Shift by (tx, ty) in affine_grid units (the side spans 2), zeros flowing in."""
    theta = torch.zeros(len(images), 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0
    theta[:, :, 2] = -shifts.to(torch.float32)  # the grid samples at x - t: content moves by +t
    grid = torch.nn.functional.affine_grid(theta, list(images.shape), align_corners=False)
    return torch.nn.functional.grid_sample(images, grid, align_corners=False)


def span_cosines(setup) -> list[float]:
    """Principal-angle cosines between the learned generators' span and the true algebra."""
    learned = setup.augmentation.normalized_basis().detach().cpu().flatten(1).double()
    true = setup.dataset.group().lie_algebra.flatten(1).double()
    q_learned, _ = torch.linalg.qr(learned.T)
    q_true, _ = torch.linalg.qr(true.T)
    return torch.linalg.svdvals(q_learned.T @ q_true).tolist()


def run_one(config: dict):
    """run_trial's steps, keeping the setup so the learned matrices can be read."""
    from pipeline.space import make_config
    from pipeline.trial import build, evaluate, train

    setup = build(make_config(config))
    epochs: list[dict] = []
    started = time.perf_counter()
    train(setup, epochs, lambda row: None)
    return setup, evaluate(setup, epochs, time.perf_counter() - started)


def run_case(name: str, seeds: int, overrides: dict) -> None:
    base, bar = CASES[name]
    passed = spanned = 0
    for seed in range(seeds):
        started = time.perf_counter()
        setup, result = run_one({**COMMON, **base, **overrides, "seed": seed})
        rows = result.discovery
        spans = [round(c, 3) for c in span_cosines(setup)]
        widths = [round(r["normalized_width"], 3) for r in rows]
        cosines = [round(r["cosine"], 3) for r in rows]
        ok = all(r["active"] for r in rows) and min(spans) >= bar
        passed, spanned = passed + ok, spanned + (min(spans) >= bar)
        print(
            f"{name} seed {seed}: widths {widths} cosines {cosines} span {spans} "
            f"val {result.trial['val_metric']:.3f} ok {ok} "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    print(
        f"{name}: {passed} of {seeds} seeds all active with span cosines >= {bar}; "
        f"span cosines >= {bar} in {spanned} of {seeds}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("cases", nargs="*", default=list(CASES))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--set", nargs="*", default=[], help="trial overrides k=v (floats)")
    args = parser.parse_args()
    overrides = {k: _number(v) for k, v in (s.split("=", 1) for s in args.set)}
    for name in args.cases:
        run_case(name, args.seeds, overrides)


def _number(text: str) -> float | int | str:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


if __name__ == "__main__":
    main()
