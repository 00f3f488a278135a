"""Data and groups from outside the package, for the axis-subgroup and bring-your-own tests.

``diagonal_rotations`` is the example of docs/how-to/own-group.md.
"""

import math

import torch

from pipeline.data import Dataset
from pipeline.groups import GeneratorRecord, Group


def diagonal_rotations() -> Group:
    """3D rotations about the axis (1, 1, 1) / sqrt(3), on 4x4 homogeneous coordinates."""
    n = torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64) / math.sqrt(3)
    generator = torch.zeros(1, 4, 4, dtype=torch.float64)  # x -> n cross x
    generator[0, :3, :3] = torch.tensor(
        [[0.0, -n[2], n[1]], [n[2], 0.0, -n[0]], [-n[1], n[0], 0.0]]
    )
    return Group(
        name="diagonal_rotations",
        domain="space",  # plane (3x3), space (4x4), perm, circle or sign
        lie_algebra=generator,
        discrete_generators=torch.zeros(0, 4, 4, dtype=torch.float64),
        generator_orders=(),
        order=None,  # continuous
        lie_names=("rd",),
        lie_ranges=(math.pi,),  # a full turn either way
        discrete_names=(),
        acts_on=frozenset({"points"}),
        description="3D rotations about the (1, 1, 1) axis",
        lie_records=(GeneratorRecord("rotation", "angle"),),  # robustness grid in degrees
    )


def rods_spun_about_diagonal(options: dict, seed: int) -> Dataset:
    """``rods_spun_about_z`` turned so that z goes to the (1, 1, 1) axis."""
    data = rods_spun_about_z(options, seed)
    turn = _z_to_diagonal()
    moved = {
        name: type(split)(split.inputs @ turn.T, split.targets)
        for name, split in (("train", data.train), ("val", data.val), ("test", data.test))
    }
    k = data.train.inputs.shape[1]
    true_group = f"{__name__}:diagonal_rotations*S{k}"
    return Dataset(**{**data.__dict__, **moved, "name": "diagonal_rods", "true_group": true_group})


def _z_to_diagonal() -> torch.Tensor:
    """A rotation taking the z axis to (1, 1, 1) / sqrt(3)."""
    z, d = torch.tensor([0.0, 0.0, 1.0]), torch.ones(3) / math.sqrt(3)
    axis = torch.linalg.cross(z, d)
    axis = axis / axis.norm()
    k = torch.tensor([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    return torch.linalg.matrix_exp(torch.arccos(z @ d) * k)


def rods_spun_about_z(options: dict, seed: int) -> Dataset:
    """3D points on an upright rod, a lying rod or a flat disk, each spun about z only.

    The class says how the shape sits relative to the z axis, so rotations about z keep it and
    rotations about x or y change it (an upright rod tipped by 90 degrees is a lying one).
    """
    n, k = options.get("n_samples", 600), options.get("n_points", 16)
    rng = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 3, (n,), generator=rng)
    t = 2 * torch.rand(n, k, generator=rng) - 1
    angle = math.pi * t
    rod_up = torch.stack([torch.zeros_like(t), torch.zeros_like(t), t], dim=-1)
    rod_lying = torch.stack([t, torch.zeros_like(t), torch.zeros_like(t)], dim=-1)
    radius = torch.rand(n, k, generator=rng).sqrt()
    disk = torch.stack([radius * angle.cos(), radius * angle.sin(), torch.zeros_like(t)], dim=-1)
    points = torch.stack([rod_up, rod_lying, disk])[labels, torch.arange(n)]
    points = points + 0.03 * torch.randn(points.shape, generator=rng)
    spin = 2 * math.pi * torch.rand(n, generator=rng)
    c, s = spin.cos(), spin.sin()
    x, y = points[..., 0], points[..., 1]
    points = torch.stack(
        [c[:, None] * x - s[:, None] * y, s[:, None] * x + c[:, None] * y, points[..., 2]], dim=-1
    )
    return Dataset.from_tensors(
        points,
        labels,
        seed,
        name="rods",
        kind="points",
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group=f"SO2z*S{k}",
        num_classes=3,
        options=options,
    )


# -- factories that return unusable groups (each refused with one line) ----------------------


def _plane(**changes) -> Group:
    quarter = torch.tensor(
        [[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]], dtype=torch.float64
    )
    fields = dict(
        name="quarter_turns",
        domain="plane",
        lie_algebra=torch.zeros(0, 3, 3, dtype=torch.float64),
        discrete_generators=quarter,
        generator_orders=(4,),
        order=4,
        lie_names=(),
        lie_ranges=(),
        discrete_names=("q",),
        acts_on=frozenset({"image", "points"}),
    )
    return Group(**{**fields, **changes})


def quarter_turns() -> Group:
    return _plane()


def wrong_order() -> Group:
    return _plane(generator_orders=(3,), order=3)


def understated_order() -> Group:
    return _plane(order=8)


def infinite_discrete() -> Group:
    """Quarter turns about two different centres generate all translations of a lattice."""
    other = _plane().discrete_generators[0].clone()
    other[:2, 2] = torch.tensor([1.0, -1.0], dtype=torch.float64)  # about (1, 0)
    gens = torch.stack([_plane().discrete_generators[0], other])
    return _plane(discrete_generators=gens, generator_orders=(4, 4), discrete_names=("q", "p"))


def wrong_domain_size() -> Group:
    return Group(**{**diagonal_rotations().__dict__, "domain": "plane"})


def acts_on_sequences() -> Group:
    return _plane(acts_on=frozenset({"sequence"}))


def not_a_group() -> list:
    return [1, 2]


def broken() -> Group:
    raise RuntimeError("no such axis")
