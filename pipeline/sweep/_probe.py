"""The discovery strategy's probe and how its verdict narrows the candidate groups (no Ray).

See ``pipeline.sweep._discover`` for the strategy.
"""

from __future__ import annotations

from typing import Any

from pipeline.space import Choice, Distribution, SearchSpace

PROBE_EPOCHS = 1  # the test reads the data, not the model: one epoch stores a real trial


def candidate_choices(space: SearchSpace) -> list[str]:
    dimension = space.dimensions().get("candidate_group")
    return [str(c) for c in dimension.choices] if isinstance(dimension, Choice) else []


def most_general(candidates: list[str]) -> str:
    """The candidate with the most generators (the first of equals): it can read the most."""
    from pipeline.groups import get_group

    return max(candidates, key=lambda name: len(get_group(name).generator_names()))


def default_point(space: SearchSpace, candidate: str) -> dict[str, Any]:
    """The searched parameters' defaults (the middle of each range) for ``candidate``, the
    ones that mean something for it."""
    from pipeline.sweep._search import meaningful

    return {
        key: dimension.middle()
        for key, dimension in space.dimensions().items()
        if isinstance(dimension, Choice | Distribution)
        and key != "candidate_group"
        and meaningful(key, candidate)
    }


def probe_point(space: SearchSpace, epochs: int = PROBE_EPOCHS) -> dict[str, Any]:
    """The probe's searched values: the most general candidate, every other searched parameter
    at its default (the middle of its range), the data's test, ``epochs`` epochs."""

    candidate = most_general(candidate_choices(space))
    return {**defaults_on(space, candidate), "discovery": "test", "epochs": epochs}


BASELINE = "trivial"
BASELINE_BUDGET = 3  # the fewest trials a search gives one to the baseline


def baseline_point(space: SearchSpace, narrowed_to: list[str]) -> dict[str, Any] | None:
    """The defaults on the trivial candidate, where the space offers it, the narrowing left it
    out and the budget has room (None otherwise): what the symmetry is measured against."""
    if BASELINE not in candidate_choices(space) or BASELINE in narrowed_to:
        return None
    if space.num_samples < BASELINE_BUDGET:
        return None
    return defaults_on(space, BASELINE)


def defaults_on(space: SearchSpace, candidate: str) -> dict[str, Any]:
    """The space's defaults on ``candidate``: a trial outside a narrowed search."""
    constants = {
        key: value
        for key, value in space.dimensions().items()
        if not isinstance(value, Choice | Distribution) and key != "candidate_group"
    }
    return {"candidate_group": candidate, **default_point(space, candidate), **constants}


def is_baseline(config: dict[str, Any], space: SearchSpace) -> bool:
    """Was this trial configuration the discovery strategy's baseline (the defaults on
    ``trivial``)? It is no point of the narrowed search."""
    point = baseline_point(space, [])
    return point is not None and all(config.get(k) == v for k, v in point.items())


def is_probe(config: dict[str, Any], space: SearchSpace) -> bool:
    """Was this trial configuration (``config_json``) the discovery strategy's probe? Its
    epochs and test setting are the probe's, where the space's trials train longer."""
    from pipeline.space import trial_config

    epochs = trial_config(space, {"device": "cpu"}).epochs
    return (
        config.get("discovery") == "test"
        and config.get("epochs") == PROBE_EPOCHS
        and epochs != PROBE_EPOCHS
    )


def contains(outer: str, inner: str) -> bool:
    """Does group ``outer`` contain every generator of group ``inner``?"""
    from pipeline.groups import generator_in_group, get_group

    big, small = get_group(outer), get_group(inner)
    return all(generator_in_group(small, g, big) for g in small.generator_names())


def narrowed(candidates: list[str], found: str | None) -> list[str]:
    """The candidates the probe's discovered group points to (see the module docstring)."""
    if not found:
        return candidates
    try:
        equal = [c for c in candidates if contains(c, found) and contains(found, c)]
        if equal:
            return equal
        above = [c for c in candidates if contains(c, found)]
    except (ValueError, KeyError):  # a generated span name the catalog cannot rebuild
        return candidates
    if not above:
        return candidates
    from pipeline.groups import get_group

    fewest = min(len(get_group(c).generator_names()) for c in above)
    return [c for c in above if len(get_group(c).generator_names()) == fewest]


def narrowed_space(space: SearchSpace, candidates: list[str]) -> SearchSpace:
    """The space with ``candidate_group`` narrowed; one candidate becomes a constant of the
    search (still in every suggestion: the trials' shared settings hold no candidate)."""
    search = dict(space.search)
    search["candidate_group"] = candidates[0] if len(candidates) == 1 else {"choices": candidates}
    return space.model_copy(update={"search": search})
