"""Exact discovered groups: 3D points spun about z alone, searched with an SO3 candidate."""

import pytest

from pipeline.cli import app
from pipeline.groups import get_group
from pipeline.trial import run_trial

SPUN_ABOUT_Z = {"factory": "tests.groups.axis_factories:rods_spun_about_z", "n_samples": 400}


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_rotations_about_one_axis_are_named_as_that_axis_rotation_group_not_so3():
    found = []
    for seed in range(5):
        result = run_trial(
            {
                "dataset": SPUN_ABOUT_Z,
                "candidate_group": "SO3",
                "epochs": 10,
                "aug_lr": 0.05,
                "seed": seed,
                "robustness": "none",
                "discovery": "widths",
            }
        )  # the learned widths' naming
        found.append((result.trial["discovered_group"], result.trial["discovery_correct"]))
    assert sum(name == "SO2z" and right for name, right in found) >= 4, found
    group = get_group("SO2z")
    assert group.lie_dim == 1 and group.lie_records[0].axis == "z"


def test_symsearch_groups_describes_the_axis_group():
    from typer.testing import CliRunner

    said = CliRunner().invoke(app, ["groups", "SO2z"])
    assert said.exit_code == 0
    assert "3D rotations about the z axis" in said.output and "rotation" in said.output
