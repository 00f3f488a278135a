"""A synthetic sweep written through the store's own writer: several candidates, every ending,
resumed trials (epochs in two attempts) and a retried trial (two trials rows)."""

import math
import random

import pytest

from pipeline.store import StoreWriter, open_store

CANDIDATES = {"trivial": [], "SO2": ["rot"], "affine2": ["tx", "ty", "rot", "scale", "stretch",
                                                          "shear"]}  # fmt: skip
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
            first, last = (1, 5) if resumed and attempt == 1 else ((4, epochs) if resumed else
                                                                    (1, epochs))  # fmt: skip
            writer = StoreWriter(store, sweep, trial_id, attempt)
            for epoch in range(first, last + 1):
                writer.add("epochs", {"epoch": epoch, "train_loss": 1 / epoch,
                                      "val_metric": rng.uniform(0.1, 0.9) + attempt,
                                      "widths": [0.1] * len(CANDIDATES[candidate]),
                                      "seconds": 0.5})  # fmt: skip
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
    writer.add("trials", {
        "status": status, "error": "boom" if status == "failed" else None, "dataset": "digits",
        "true_group": "SO2", "candidate_group": candidate, "prior": "uniform",
        "init_width": 0.3, "reg": 0.1, "tolerance": tolerance, "symmetry_breaking": "none",
        "lr": 0.003, "seed": number, "epochs": epochs, "metric_name": "accuracy",
        "metric_mode": "max", "val_metric": val,
        "test_metric": rng.uniform(0.5, 0.99) if completed else None,
        "n_samples": rng.choice([1, 8, 40]) if completed else None,
        "equivariance_error": rng.uniform(0, 1) if completed else None,
        "eval_seconds": rng.uniform(0.1, 2) if completed else None,
        "discovered_group": rng.choice(["SO2", "trivial"]) if completed else None,
        "discovery_correct": rng.choice([True, False]) if completed else None,
        "finished_at": f"2026-01-01T00:{number:02d}:00+00:00", "config_json": "{}",
    })  # fmt: skip
    if not completed:
        return
    for generator in CANDIDATES[candidate]:
        width = rng.uniform(0, 2)
        writer.add("discovery", {"generator": generator, "learned_width": width * math.pi,
                                 "normalized_width": width, "active": width >= 0.5,
                                 "true_active": generator == "rot", "cosine": None})  # fmt: skip
    for magnitude in range(0, 181, 15):
        for averaged in (False, True):
            writer.add("robustness", {"shift": "rot", "magnitude": float(magnitude),
                                      "unit": "degrees", "source": "true", "averaged": averaged,
                                      "metric": rng.uniform(0.2, 0.95),
                                      "in_support": magnitude <= 45})  # fmt: skip


@pytest.fixture
def synthetic_store(tmp_path):
    url = str(tmp_path / "store")
    write_sweep(url)
    return url
