"""Reliability: generated malformed search spaces are refused with one line and exit status 2,
no traceback, and nothing written (no store, no sweep record, no Ray)."""

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pipeline.cli import app

pytestmark = pytest.mark.reliability

BASE = {
    "dataset": {"name": "signals", "n_samples": 100},
    "trial": {"epochs": 2, "robustness": "none"},
    "search": {"candidate_group": ["trivial", "shift32"], "reg": [0.1, 0.2]},
    "num_samples": 2,
}
SWEEP_FIELDS = ["num_samples", "max_concurrent", "max_failures", "checkpoint_seconds"]
TRIAL_FIELDS = ["epochs", "reg", "lr", "init_width", "batch_size", "seed", "tolerance"]
junk_text = st.text(min_size=1, max_size=12).filter(lambda t: t.strip() and t.isprintable())
huge = st.sampled_from([10**30, -(10**30), 1e308, -1e308, float("inf"), -1, -0.5])
wrong_type = st.one_of(junk_text.map(lambda t: "x" + t), st.lists(st.integers(), min_size=1),
                       st.dictionaries(st.just("k"), st.integers(), min_size=1))  # fmt: skip


@st.composite
def malformed(draw):
    """(YAML text, the field the error must name); each case breaks exactly one thing."""
    space = yaml.safe_load(yaml.safe_dump(BASE))
    kind = draw(st.sampled_from(["top_key", "trial_key", "sweep_value", "trial_value", "group",
                                 "dataset", "scheduler", "resources", "broken_yaml"]))  # fmt: skip
    if kind == "top_key":
        key = "zz_" + draw(junk_text)
        space[key] = draw(st.integers())
        return yaml.safe_dump(space, allow_unicode=True), None
    if kind == "trial_key":
        key = "zz_" + draw(junk_text)
        space[draw(st.sampled_from(["trial", "search"]))][key] = 1
        return yaml.safe_dump(space, allow_unicode=True), None
    if kind == "sweep_value":
        field = draw(st.sampled_from(SWEEP_FIELDS))
        space[field] = draw(st.one_of(huge, wrong_type))
        return yaml.safe_dump(space, allow_unicode=True), field
    if kind == "trial_value":
        field = draw(st.sampled_from(TRIAL_FIELDS))
        space["trial"][field] = draw(st.one_of(huge, wrong_type))
        return yaml.safe_dump(space, allow_unicode=True), field
    if kind == "group":
        space["search"]["candidate_group"] = ["trivial", "Q" + draw(junk_text)]
        return yaml.safe_dump(space, allow_unicode=True), "candidate_group"
    if kind == "dataset":
        space["dataset"] = {"name": "zz" + draw(junk_text)}
        return yaml.safe_dump(space, allow_unicode=True), "dataset"
    if kind == "scheduler":
        space["scheduler"] = {"name": draw(st.sampled_from(["asha", "fifo", "hyperband"])),
                              "reduction_factor": draw(st.one_of(huge, st.just(1)))}  # fmt: skip
        return yaml.safe_dump(space, allow_unicode=True), "scheduler"
    if kind == "resources":
        space["resources"] = {"cpu": draw(st.one_of(huge, st.just(0), wrong_type))}
        return yaml.safe_dump(space, allow_unicode=True), "resources.cpu"
    text = yaml.safe_dump(space)
    cut = draw(st.integers(1, len(text) - 1))
    return text[:cut] + draw(st.sampled_from(["\n\t- [", ": : {", "\n  - ]", "\x00"])), None


def _no_ray(*args, **kwargs):
    raise AssertionError("a malformed space got as far as starting Ray")


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                   HealthCheck.too_slow])  # fmt: skip
@given(case=malformed())
def test_malformed_space_exits_2_with_one_line_and_writes_nothing(case, tmp_path_factory,
                                                                  monkeypatch):  # fmt: skip
    text, field = case
    folder = tmp_path_factory.mktemp("space")
    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(folder / "outputs"))
    monkeypatch.setattr("pipeline.sweep._launch.connect", _no_ray)
    path = folder / "space.yaml"
    path.write_text(text)
    result = CliRunner().invoke(app, ["sweep", str(path), "--store", str(folder / "store")])
    assert result.exit_code == 2, result.output
    message = result.output.strip()
    assert message.startswith("error: ") and "\n" not in message, message
    assert "Traceback" not in result.output
    if field is not None:
        assert field.split(".")[0] in message, message
    assert [p.name for p in folder.iterdir()] == ["space.yaml"]
