"""A synthetic sweep written through the store's own writer: several candidates, every ending,
resumed trials (epochs in two attempts) and a retried trial (two trials rows)."""

import math
import random
from collections.abc import Callable

import pytest

from pipeline.store import StoreWriter, open_store

CANDIDATES = {
    "trivial": [],
    "SO2": ["rot"],
    "affine2": ["tx", "ty", "rot", "scale", "stretch", "shear"],
}
TOLERANCES = [None, 0.1, 0.5]


def write_sweep(url: str, sweep: str = "syn", trials: int = 18, seed: int = 0) -> None:
    rng = random.Random(seed)
    store = open_store(url)
    for number in range(trials):
        candidate = list(CANDIDATES)[number % 3]
        trial_id = f"t{number:03d}"
        status = "failed" if number == 7 else ("stopped" if number % 5 == 4 else "completed")
        epochs = 4 if status == "stopped" else 8
        resumed = number in (2, 9)  # epochs 1-5 by attempt 1, 4-8 by attempt 2
        attempts = [1, 2] if resumed else [1]
        for attempt in attempts:
            first, last = (
                (1, 5) if resumed and attempt == 1 else ((4, epochs) if resumed else (1, epochs))
            )
            writer = StoreWriter(store, sweep, trial_id, attempt)
            for epoch in range(first, last + 1):
                writer.add(
                    "epochs",
                    {
                        "epoch": epoch,
                        "train_loss": 1 / epoch,
                        "val_metric": rng.uniform(0.1, 0.9) + attempt,
                        "widths": [0.1] * len(CANDIDATES[candidate]),
                        "normalized_widths": [0.1 * epoch] * len(CANDIDATES[candidate]),
                        "seconds": 0.5,
                    },
                )
            writer.flush()
        writer = StoreWriter(store, sweep, trial_id, attempts[-1])
        _trial_rows(writer, rng, candidate, status, epochs, TOLERANCES[number % 3], number)
        writer.flush()
        if number == 11:  # an older attempt's rows that the latest attempt supersedes
            old = StoreWriter(store, sweep, trial_id, 0)
            _trial_rows(old, rng, candidate, "failed", 1, None, number)
            old.flush()


def _trial_rows(writer, rng, candidate, status, epochs, tolerance, number):
    completed = status == "completed"
    val = None if status == "failed" else rng.uniform(0.5, 0.99)
    writer.add(
        "trials",
        {
            "status": status,
            "error": "boom" if status == "failed" else None,
            "dataset": "digits",
            "true_group": "SO2",
            "candidate_group": candidate,
            "prior": "uniform",
            "init_width": 0.3,
            "reg": 0.1,
            "tolerance": tolerance,
            "symmetry_breaking": "none",
            "lr": 0.003,
            "seed": number,
            "epochs": epochs,
            "metric_name": "accuracy",
            "metric_mode": "max",
            "val_metric": val,
            "test_metric": rng.uniform(0.5, 0.99) if completed else None,
            "n_samples": rng.choice([1, 8, 40]) if completed else None,
            "tolerance_met": rng.choice([True, False]) if completed and tolerance else None,
            "equivariance_error": rng.uniform(0, 1) if completed else None,
            "eval_seconds": rng.uniform(0.1, 2) if completed else None,
            "discovered_group": rng.choice(["SO2", "trivial"]) if completed else None,
            "discovery_correct": rng.choice([True, False]) if completed else None,
            "finished_at": f"2026-01-01T00:{number:02d}:00+00:00",
            "config_json": "{}",
        },
    )
    if not completed:
        return
    for generator in CANDIDATES[candidate]:
        width = rng.uniform(0, 2)
        writer.add(
            "discovery",
            {
                "generator": generator,
                "learned_width": width * math.pi,
                "normalized_width": width,
                "active": width >= 0.5,
                "true_active": generator == "rot",
                "cosine": None,
            },
        )
    for magnitude in range(0, 181, 15):
        for averaged in (False, True):
            writer.add(
                "robustness",
                {
                    "shift": "rot",
                    "magnitude": float(magnitude),
                    "unit": "degrees",
                    "source": "true",
                    "averaged": averaged,
                    "metric": rng.uniform(0.2, 0.95),
                    "in_support": magnitude <= 45,
                },
            )


@pytest.fixture
def synthetic_store(tmp_path):
    url = str(tmp_path / "store")
    write_sweep(url)
    return url


# A sweep with a known per-generator answer: 5 seeds x 2 hyperparameter settings per candidate.
# SO2 wins on validation; each seed's best SO2 trial's test says rot present in seeds 0-3 and
# absent in seed 4 (its weaker trial always says the opposite, so the per-seed choice matters);
# affine2's tests did not run, so its widths vote: tx active in seed 0 only.
KNOWN_ROT_EXTENTS = [170.0, 180.0, 175.0, 185.0, 10.0]
KNOWN_TX_WIDTHS = [0.9, 0.1, 0.2, 0.1, 0.2]


def write_known_sweep(url: str, sweep: str = "known") -> None:
    store = open_store(url)
    number = 0
    for seed in range(5):
        for setting, candidate in [
            (s, c) for s in ("good", "weak") for c in ("trivial", "SO2", "affine2")
        ]:
            good = setting == "good"
            val = {"trivial": 0.5, "SO2": 0.95, "affine2": 0.9}[candidate] - (0 if good else 0.2)
            writer = StoreWriter(store, sweep, f"k{number:03d}", 1)
            writer.add(
                "trials",
                {
                    "status": "completed",
                    "dataset": "digits",
                    "true_group": "SO2",
                    "candidate_group": candidate,
                    "prior": "uniform",
                    "seed": seed,
                    "metric_name": "accuracy",
                    "metric_mode": "max",
                    "val_metric": val,
                    "test_metric": val,
                    "discovered_group": "SO2",
                    "discovery_correct": True,
                    "finished_at": f"2026-01-01T01:{number:02d}:00+00:00",
                    "config_json": "{}",
                },
            )
            for generator in CANDIDATES[candidate]:
                writer.add("discovery", _known_row(candidate, generator, seed, good))
            writer.flush()
            number += 1
    writer = StoreWriter(store, sweep, "k999", 1)  # a better trial that failed: ignored
    writer.add(
        "trials",
        {
            "status": "failed",
            "dataset": "digits",
            "candidate_group": "affine2",
            "seed": 0,
            "val_metric": 0.99,
            "metric_mode": "max",
        },
    )
    writer.flush()


def _known_row(candidate: str, generator: str, seed: int, good: bool) -> dict:
    row = {
        "generator": generator,
        "learned_width": 0.5,
        "normalized_width": 0.5,
        "active": True,
        "true_active": generator == "rot",
        "cosine": None,
    }
    if candidate == "SO2":
        present = (seed < 4) == good
        extent = KNOWN_ROT_EXTENTS[seed] if good else 1.0
        row.update(
            present=present,
            p_value=0.5 if present else 0.001,
            extent=extent,
            extent_unit="degrees",
            active=not present,
        )  # the test outranks the width
    elif generator == "tx":
        width = KNOWN_TX_WIDTHS[seed] if good else 1.0 - KNOWN_TX_WIDTHS[seed]
        row.update(learned_width=width, normalized_width=width, active=width >= 0.5)
    return row


def written_store(tmp_path_factory, write: Callable[[str], None]) -> str:
    """A fresh store URL that ``write`` filled (a module fixture's sweep, written once)."""
    url = str(tmp_path_factory.mktemp("store") / "store")
    write(url)
    return url


def analyzed(url: str, sweep: str, tmp_path_factory):
    """``analyze`` of one sweep of the store at ``url``, quietly, into a fresh folder."""
    from pipeline.analysis import analyze

    out = tmp_path_factory.mktemp("analysis") / "out"
    return analyze(open_store(url), sweep, out, say=lambda m: None)
