"""``symsearch detect`` and ``pipeline.detect``: the data test alone, no training."""

import json

import pytest
import yaml
from typer.testing import CliRunner

import pipeline
from pipeline.cli import app
from pipeline.errors import SymsearchError
from pipeline.groups import get_group

pytestmark = pytest.mark.slow  # four data tests, about 10 s each on 2 cores

# 600 signals shifted uniformly around the circle: shifts present, the flip absent (the scored
# folds are the validation split's halves, 60 each: fewer leave a discrete shift undecided)
SPACE = {
    "dataset": {"name": "signals", "length": 16, "transform": "shift", "n_samples": 600},
    "search": {"candidate_group": ["trivial", "shift16", "shift16*flip"]},
}


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    path = tmp_path_factory.mktemp("detect") / "space.yaml"
    path.write_text(yaml.safe_dump(SPACE))
    return path


@pytest.fixture(scope="module")
def printed(space):
    result = CliRunner().invoke(app, ["detect", str(space), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_detect_tests_the_most_general_candidate_and_names_the_group(printed):
    assert printed["candidate_group"] == "shift16*flip"  # the searched candidate with most
    assert printed["discovered_group"] == "shift16"
    verdicts = {g["generator"]: g for g in printed["generators"]}
    assert set(verdicts) == {"shift1", "flip"}
    assert verdicts["shift1"]["present"] is True and verdicts["flip"]["present"] is False
    for found in verdicts.values():
        assert {"generator", "present", "p_value", "extent", "unit", "tv", "note", "matrix"} <= set(
            found
        )
        assert len(found["tv"]) == len(found["magnitudes"]) >= 1
    group = get_group("shift16*flip")
    matrices = [*group.lie_algebra, *group.discrete_generators]
    expected = matrices[group.generator_names().index("flip")].double()
    assert len(verdicts["flip"]["matrix"]) == group.dim**2  # in the candidate's representation
    assert verdicts["flip"]["matrix"] == pytest.approx(expected.flatten().tolist())


def test_detect_prints_a_table_and_takes_another_candidate(space):
    result = CliRunner().invoke(app, ["detect", str(space), "--set", "candidate_group=flip"])
    assert result.exit_code == 0, result.output
    assert "under flip: the data have trivial" in result.output
    assert "flip" in result.output and "absent" in result.output


def test_detect_refuses_bad_input_in_one_line(space):
    result = CliRunner().invoke(app, ["detect", str(space), "--set", "candidate_group=nope"])
    assert result.exit_code == 2 and result.output.startswith("error: ")
    trivial = CliRunner().invoke(app, ["detect", str(space), "--set", "candidate_group=trivial"])
    assert trivial.exit_code == 2 and "no generators to test" in trivial.output


def test_python_detect_takes_a_dataset_and_a_group():
    from pipeline.data import build_dataset

    data = build_dataset(
        {"name": "signals", "length": 16, "transform": "shift", "n_samples": 600}, 0
    )
    found = pipeline.detect(data, "shift16")
    assert found.discovered_group == "shift16" and found.generators[0]["verdict"] == "present"
    with pytest.raises(SymsearchError):
        pipeline.detect(data)  # a dataset alone does not say which group to test
