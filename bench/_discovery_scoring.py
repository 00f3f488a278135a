"""Sensitivity and specificity of the discovery suite, with Wilson intervals.

Every (case, seed) contributes slots:

- a positive per true symmetry: a generator whose truth is present (found: read present), a
  generator whose truth is an integer m (found: absent with invariant order m: the subgroup),
  the ``direction`` of a case that declares one (found: a present proposed direction within
  cosine COSINE of it);
- a negative per generator whose truth is absent (right: neither present nor given an
  invariant subgroup), and one per run that tested proposed directions without a declared one
  (right: no present direction outside the span of the truly present generators).
"""

from __future__ import annotations

import math

COSINE = 0.9  # a direction within this |cosine| of the truth is the truth
Z95 = 1.959964


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (0, 1 when n = 0)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # at p = 0 or 1 one end is exactly p (rounding would leave it a hair inside)
    return (0.0 if successes == 0 else centre - half), (1.0 if successes == n else centre + half)


def score_run(group, truth: dict, matrix) -> dict:
    """For a proposed direction's ``matrix``: |cosine| to the declared true direction and to
    the span of the truly present algebra generators of its block (None where none)."""
    if matrix is None:
        return {}
    import discovery_rendered
    import torch

    from pipeline.discovery._directions import _widest_block

    block = _widest_block(group)
    flat = matrix.double().flatten()
    declared = truth.get("direction")
    cos_truth = None
    if declared:
        true = torch.tensor(getattr(discovery_rendered, declared), dtype=torch.float64).flatten()
        cos_truth = float((flat @ true).abs() / (flat.norm() * true.norm()))
    present = [i for i, name in enumerate(block.lie_names) if truth.get(name) is True]
    cos_span = None
    if present:
        basis = block.lie_algebra[present].double().flatten(1).T  # (d*d, k)
        projection = basis @ torch.linalg.lstsq(basis, flat[:, None]).solution
        cos_span = float(projection.norm() / flat.norm())
    return {"cos_truth": cos_truth, "cos_span": cos_span}


def case_slots(truth: dict, rows: list[dict]) -> tuple[list[bool], list[bool]]:
    """(positives found?, negatives right?) of one (case, seed)."""
    positives, negatives = [], []
    by_name = {r["generator"]: r for r in rows}
    for generator, expected in truth.items():
        if generator == "direction" or generator not in by_name:
            continue
        row = by_name[generator]
        if expected is True:
            positives.append(bool(row["present"]))
        elif expected is False:
            negatives.append(not row["present"] and not row.get("invariant_order"))
        else:
            positives.append(not row["present"] and row.get("invariant_order") == expected)
    directions = [r for r in rows if "cos_span" in r]
    found = [r for r in directions if r["present"]]
    if truth.get("direction"):
        positives.append(any((r["cos_truth"] or 0.0) >= COSINE for r in found))
    elif directions:
        negatives.append(all((r["cos_span"] or 0.0) >= COSINE for r in found))
    return positives, negatives


def report_rates(chosen: list, by_case: dict) -> None:
    """Print sensitivity and specificity over the chosen cases, with Wilson intervals, and the
    cases that missed."""
    positives, negatives, misses = [], [], []
    for case, _, truth, _ in chosen:
        for seed, rows, _ in by_case[case]:
            found, right = case_slots(truth, rows)
            positives += found
            negatives += right
            if not all(found) or not all(right):
                misses.append(f"{case.split(':')[-1]}/{seed}")
            for r in rows:
                if "cos_span" in r and r["present"]:
                    print(
                        f"  direction {case.split(':')[-1]} seed {seed}: {r['generator']} "
                        f"present, |cos| to truth {r['cos_truth']}, to the true span "
                        f"{r['cos_span']}"
                    )
    for name, slots in (("sensitivity", positives), ("specificity", negatives)):
        low, high = wilson(sum(slots), len(slots))
        rate = sum(slots) / len(slots) if slots else float("nan")
        print(
            f"{name}: {rate:.3f}  ({sum(slots)}/{len(slots)}; 95% Wilson [{low:.3f}, {high:.3f}])"
        )
    print(f"runs with a miss: {', '.join(misses) or 'none'}")
