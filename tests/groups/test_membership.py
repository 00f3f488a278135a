"""The membership oracle used by the property tests must reject elements outside each group."""

import math

import pytest
import torch

from pipeline.groups import get_group
from tests.groups.membership import is_member


def plane(linear, translation=(0.0, 0.0)):
    m = torch.eye(3, dtype=torch.float64)
    m[:2, :2] = torch.tensor(linear, dtype=torch.float64)
    m[:2, 2] = torch.tensor(translation, dtype=torch.float64)
    return m


C, S = math.cos(0.3), math.sin(0.3)
ROT = [[C, -S], [S, C]]
MIRROR = [[-1.0, 0.0], [0.0, 1.0]]


@pytest.mark.parametrize(
    ("name", "element"),
    [
        ("SO2", plane([[2, 0], [0, 2]])),
        ("SO2", plane(MIRROR)),
        ("SO2", plane(ROT, (0.1, 0))),
        ("C4", plane(ROT)),
        ("D4", plane(ROT)),
        ("T2", plane(ROT)),
        ("scale", plane([[2, 0], [0, 3]])),
        ("affine2", plane(MIRROR)),
        ("T2*D4", plane(ROT, (1, 1))),
        ("S5", 0.5 * torch.eye(5)),
    ],
)
def test_oracle_rejects_outsiders(name, element):
    assert not is_member(get_group(name), element.to(torch.float64))


@pytest.mark.parametrize(
    ("name", "element"),
    [
        ("O2", plane(MIRROR)),
        ("T2*D4", plane([[0, -1], [1, 0]], (1, 2))),
        ("SO2", plane(ROT)),
        ("scale", plane([[2, 0], [0, 2]])),
    ],
)
def test_oracle_accepts_members(name, element):
    assert is_member(get_group(name), element)


def test_oracle_checks_blocks_and_what_lies_between_them():
    element = torch.eye(4, dtype=torch.float64)
    element[0, 3] = 0.1
    assert not is_member(get_group("SO2*flip"), element)
    reflection = torch.diag(torch.tensor([-1.0, 1, 1, 1], dtype=torch.float64))
    assert not is_member(get_group("SO3"), reflection) and is_member(get_group("O3"), reflection)
