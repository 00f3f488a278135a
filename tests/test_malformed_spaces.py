"""Reliability: generated malformed search spaces are refused with one line and exit status 2,
no traceback, and nothing written (no store, no sweep record, no Ray)."""

import time

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
wrong_type = st.one_of(
    junk_text.map(lambda t: "x" + t),
    st.lists(st.integers(), min_size=1),
    st.dictionaries(st.just("k"), st.integers(), min_size=1),
)


@st.composite
def malformed(draw):
    """(YAML text, the field the error must name); each case breaks exactly one thing."""
    space = yaml.safe_load(yaml.safe_dump(BASE))
    kind = draw(
        st.sampled_from(
            [
                "top_key",
                "trial_key",
                "sweep_value",
                "trial_value",
                "group",
                "dataset",
                "scheduler",
                "resources",
                "broken_yaml",
            ]
        )
    )
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
        space["scheduler"] = {
            "name": draw(st.sampled_from(["asha", "fifo", "hyperband"])),
            "reduction_factor": draw(st.one_of(huge, st.just(1))),
        }
        return yaml.safe_dump(space, allow_unicode=True), "scheduler"
    if kind == "resources":
        space["resources"] = {"cpu": draw(st.one_of(huge, st.just(0), wrong_type))}
        return yaml.safe_dump(space, allow_unicode=True), "resources.cpu"
    text = yaml.safe_dump(space)
    cut = draw(st.integers(1, len(text) - 1))
    return text[:cut] + draw(st.sampled_from(["\n\t- [", ": : {", "\n  - ]", "\x00"])), None


def _no_ray(*args, **kwargs):
    raise AssertionError("a malformed space got as far as starting Ray")


@settings(
    max_examples=200,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=malformed())
def test_malformed_space_exits_2_with_one_line_and_writes_nothing(
    case, tmp_path_factory, monkeypatch
):
    text, field = case
    folder = tmp_path_factory.mktemp("space")
    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(folder / "outputs"))
    monkeypatch.setattr("pipeline.sweep._connect.connect", _no_ray)
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


# -- a sweep is refused before Ray starts and before any record or name is taken -------------

POINTS = {
    "dataset": {"name": "pointclouds", "dim": 2, "n_samples": 60},
    "trial": {"epochs": 1, "robustness": "none"},
    "search": {"candidate_group": ["trivial", "SO2"]},
    "num_samples": 2,
}


def _refused_sweep(space: dict, folder, monkeypatch) -> str:
    """Run `sweep` on ``space`` with Ray forbidden; the one error line it printed."""
    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(folder / "outputs"))
    monkeypatch.setattr("pipeline.sweep._connect.connect", _no_ray)
    path = folder / "space.yaml"
    path.write_text(yaml.safe_dump(space))
    result = CliRunner().invoke(app, ["sweep", str(path), "--store", str(folder / "store")])
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
    assert [p.name for p in folder.iterdir()] == ["space.yaml"]  # no record, store or Ray dir
    return result.output


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            {
                "search": {
                    "candidate_group": ["trivial"],
                    "reg": {"distribution": "uniform", "low": 0.5, "high": 0.1},
                }
            },
            "search.reg",
        ),
        (
            {
                "search": {
                    "candidate_group": ["trivial"],
                    "lr": {"distribution": "loguniform", "low": 0, "high": 0.1},
                }
            },
            "search.lr",
        ),
        (
            {
                "search": {
                    "candidate_group": ["trivial"],
                    "reg": {"distribution": "uniform", "low": 0, "high": 1, "default": 2},
                }
            },
            "search.reg",
        ),
        ({"model": {"hidden": -5}}, "model.hidden"),
        ({"model": {"arch": "transformer"}}, "model.arch"),
        ({"trial": {"epochs": 1, "device": "foo"}}, "device"),
        ({"search": {"candidate_group": ["trivial", "S5"]}}, "S5 permutes 5 points"),
        ({"search": {"candidate_group": ["SO2", "S2000"]}}, "S2000"),
    ],
    ids=[
        "backwards-range",
        "loguniform-zero",
        "default-outside",
        "model-hidden",
        "model-arch",
        "device",
        "S5-on-32-points",
        "S2000-on-32-points",
    ],
)
def test_a_sweep_that_cannot_run_is_refused_before_anything_starts(
    change, named, tmp_path, monkeypatch
):
    assert named in _refused_sweep({**POINTS, **change}, tmp_path, monkeypatch)


def test_a_network_too_deep_for_the_images_is_found_by_the_dry_run(tmp_path, monkeypatch):
    space = {
        "dataset": {"name": "digits", "limit": 60},
        "trial": {"epochs": 1},
        "model": {"channels": [8, 8, 8, 8, 8, 8]},
    }  # pooling leaves nothing of 24x24
    assert "model" in _refused_sweep(space, tmp_path, monkeypatch)


# -- trial --set: one line, exit 2, at once ---------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("model.hidden=-5", "model.hidden"),
        ("model.dropout=2", "model.dropout"),
        ("device=foo", "device"),
        ("device=cuda:99", "device"),
        ("candidate_group=S2000", "S2000 permutes 2000 points"),
    ],
)
def test_a_trial_that_cannot_run_is_one_line_at_once(setting, named, tmp_path):
    if setting.startswith("device=cuda") and __import__("torch").cuda.device_count() > 99:
        pytest.skip("this machine has a cuda:99")
    kind = "pointclouds" if "S2000" in setting else "digits"
    path = tmp_path / "space.yaml"
    path.write_text(yaml.safe_dump({"dataset": {"name": kind}, "trial": {"epochs": 1}}))
    started = time.perf_counter()
    result = CliRunner().invoke(app, ["trial", str(path), "--set", setting])
    seconds = time.perf_counter() - started
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
    assert named in result.output
    assert seconds < 15, seconds  # before the fix: S2000 built its matrices for minutes


# -- damaged files: one line naming the file -------------------------------------------------


def _write_record(folder, name: str, text: str):
    record = folder / "outputs" / "sweeps" / name / "sweep.json"
    record.parent.mkdir(parents=True)
    record.write_text(text)
    return record


GOOD_RECORD = {
    "name": "extra",
    "space": BASE,
    "space_path": "space.yaml",
    "store": "store",
    "storage_path": "ray",
    "segments": [{"experiment": "extra", "num_samples": 2}],
}


@pytest.mark.parametrize("damage", ["cut", "extra-key", "not-a-mapping"])
@pytest.mark.parametrize("command", ["status", "resume"])
def test_a_damaged_sweep_record_is_one_line_naming_it(damage, command, tmp_path, monkeypatch):
    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setattr("pipeline.sweep._connect.connect", _no_ray)
    import json

    text = {
        "cut": json.dumps(GOOD_RECORD)[:40],
        "not-a-mapping": "[1, 2]",
        "extra-key": json.dumps({**GOOD_RECORD, "bogus": 1}),
    }[damage]
    record = _write_record(tmp_path, "extra", text)
    result = CliRunner().invoke(app, [command, "extra"])
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
    assert str(record) in result.output
    assert record.read_text() == text  # left as it was


def _deep(tmp_path) -> str:
    return "dataset: {name: signals}\nsearch: {seed: " + "[" * 5000 + "]" * 5000 + "}\n"


def _not_utf8(tmp_path) -> bytes:
    return b"dataset: {name: signals}\ndescription: caf\xe9\n"


def _huge(tmp_path) -> str:
    return "dataset: {name: signals}\nsearch:\n  seed: [" + ",".join(["0"] * 5_000_000) + "]\n"


def _aliases(tmp_path) -> str:  # a billion values from a few lines
    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    return "dataset: {name: signals}\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("make", "named"),
    [(_deep, "nested too deeply"), (_not_utf8, "not UTF-8"), (_huge, "KiB"), (_aliases, "values")],
    ids=["deep", "not-utf8", "50MB-ish", "aliases"],
)
@pytest.mark.parametrize("command", ["trial", "sweep", "cluster"])
def test_hostile_yaml_files_are_one_line(make, named, command, tmp_path, monkeypatch):
    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setattr("pipeline.sweep._connect.connect", _no_ray)
    content = make(tmp_path)
    path = tmp_path / "file.yaml"
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    args = {
        "trial": ["trial", str(path)],
        "sweep": ["sweep", str(path)],
        "cluster": ["sweep", "space.yaml", "--cluster", str(path)],
    }[command]
    started = time.perf_counter()
    result = CliRunner().invoke(app, args)
    assert time.perf_counter() - started < 10
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
    assert named in result.output and str(path) in result.output


@pytest.mark.parametrize("command", ["trial", "sweep"])
def test_a_space_path_the_system_refuses_is_one_line(command, tmp_path):
    result = CliRunner().invoke(app, [command, str(tmp_path / ("x" * 300 + ".yaml"))])
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output


def test_a_sweep_record_with_a_damaged_space_is_one_line_at_resume(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setattr("pipeline.sweep._connect.connect", _no_ray)
    import json

    record = _write_record(
        tmp_path, "extra", json.dumps({**GOOD_RECORD, "space": {**BASE, "zz": 1}})
    )
    result = CliRunner().invoke(app, ["resume", "extra"])
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
    assert str(record) in result.output and "zz" in result.output
