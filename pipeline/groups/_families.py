"""The catalog's group families, one small builder each.

Natural ranges (the coefficient size that counts as "the whole symmetry"; widths are divided by
them in the discovery readout): rotation pi (a full turn either way), translation 1.0 (half the
image side, in ``affine_grid`` units), scale / stretch / shear ln 2 (a factor of two), learned
generators 1.0 (they are Frobenius-normalized).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from pipeline.groups import _records as rec
from pipeline.groups._group import Group
from pipeline.kinds import kind_record, moved_by

DTYPE = torch.float64  # catalog tensors are exact-ish; actions cast to the data's dtype
LN2 = math.log(2.0)


# -- matrices ----------------------------------------------------------------------------------


def _unit(d: int, i: int, j: int) -> Tensor:
    m = torch.zeros(d, d, dtype=DTYPE)
    m[i, j] = 1.0
    return m


def _stack(matrices: list[Tensor], d: int) -> Tensor:
    return torch.stack(matrices) if matrices else torch.zeros(0, d, d, dtype=DTYPE)


def _plane(linear: list[list[float]]) -> Tensor:
    """3x3 homogeneous matrix with the given 2x2 linear part and no translation."""
    m = torch.eye(3, dtype=DTYPE)
    m[:2, :2] = torch.tensor(linear, dtype=DTYPE)
    return m


def _snap(value: float) -> float:
    """Exact integers where trigonometry lands within rounding of one (90-degree rotations)."""
    return float(round(value)) if abs(value - round(value)) < 1e-12 else value


def _rotation(angle: float) -> list[list[float]]:
    c, s = _snap(math.cos(angle)), _snap(math.sin(angle))
    return [[c, -s], [s, c]]


ROT = _unit(3, 1, 0) - _unit(3, 0, 1)  # so(2) in the plane
TX, TY = _unit(3, 0, 2), _unit(3, 1, 2)
SCALE = _unit(3, 0, 0) + _unit(3, 1, 1)
STRETCH = _unit(3, 0, 0) - _unit(3, 1, 1)
SHEAR = _unit(3, 0, 1) + _unit(3, 1, 0)
STRETCH_X, STRETCH_Y = _unit(3, 0, 0), _unit(3, 1, 1)
MIRROR = _plane([[-1.0, 0.0], [0.0, 1.0]])  # x -> -x


def _so3_algebra() -> Tensor:
    """rx, ry, rz: infinitesimal rotations about the axes, in 4x4 homogeneous form."""
    return torch.stack(
        [
            _unit(4, 2, 1) - _unit(4, 1, 2),
            _unit(4, 0, 2) - _unit(4, 2, 0),
            _unit(4, 1, 0) - _unit(4, 0, 1),
        ]
    )


def _lattice_compatible(algebra: Tensor, discrete: Tensor) -> bool:
    """Plane groups act on lattices (kinds on whole sites) only through translations and
    integer (grid) matrices."""
    linear_algebra_zero = bool((algebra[:, :2, :2] == 0).all())
    integer_linear = bool((discrete[:, :2, :2] == discrete[:, :2, :2].round()).all())
    return linear_algebra_zero and integer_linear


def _plane_kinds(on_sites: bool) -> frozenset[str]:
    """The kinds a plane group acts on: those with a plane action, the ones on whole sites
    (lattices) only where ``on_sites`` (the group moves by whole sites)."""
    return frozenset(
        kind for kind in moved_by("plane") if on_sites or not kind_record(kind).whole_sites
    )


Algebra = list[tuple[str, Tensor, float, rec.GeneratorRecord]]  # name, matrix, range, record
Discrete = list[tuple[str, Tensor, int, rec.GeneratorRecord]]  # name, matrix, order, record


def _plane_group(
    name: str, algebra: Algebra, discrete: Discrete, order: int | None, description: str
) -> Group:
    lie = _stack([m for _, m, _, _ in algebra], 3)
    gens = _stack([m for _, m, _, _ in discrete], 3)
    return Group(
        name=name,
        domain="plane",
        lie_algebra=lie,
        discrete_generators=gens,
        generator_orders=tuple(o for _, _, o, _ in discrete),
        order=order,
        lie_names=tuple(n for n, _, _, _ in algebra),
        lie_ranges=tuple(r for _, _, r, _ in algebra),
        discrete_names=tuple(n for n, _, _, _ in discrete),
        acts_on=_plane_kinds(_lattice_compatible(lie, gens)),
        description=description,
        lie_records=tuple(r for *_, r in algebra),
        discrete_records=tuple(r for *_, r in discrete),
    )


# -- families ----------------------------------------------------------------------------------


def trivial() -> Group:
    return Group(
        name="trivial",
        domain="none",
        lie_algebra=torch.zeros(0, 1, 1, dtype=DTYPE),
        discrete_generators=torch.zeros(0, 1, 1, dtype=DTYPE),
        generator_orders=(),
        order=1,
        lie_names=(),
        lie_ranges=(),
        discrete_names=(),
        acts_on=moved_by("none"),
        description="no symmetry (the control)",
    )


def _turn(n: int) -> tuple[str, Tensor, int, rec.GeneratorRecord]:
    return (f"rot{n}", _plane(_rotation(2 * math.pi / n)), n, rec.turn())


MIRROR_GENERATOR = ("mirror", MIRROR, 2, rec.discrete("mirror"))
ROTATION = ("rot", ROT, math.pi, rec.rotation())
TRANSLATIONS = [("tx", TX, 1.0, rec.translation("x")), ("ty", TY, 1.0, rec.translation("y"))]
SCALE_GENERATOR = ("scale", SCALE, LN2, rec.scaling())


def cyclic(n: int) -> Group:
    gens = [_turn(n)] if n > 1 else []
    return _plane_group(f"C{n}", [], gens, n, f"planar rotations by multiples of 360/{n} degrees")


def dihedral(n: int) -> Group:
    gens = [MIRROR_GENERATOR]
    if n > 1:
        gens.insert(0, _turn(n))
    return _plane_group(f"D{n}", [], gens, 2 * n, f"C{n} rotations and mirror images")


def so2() -> Group:
    return _plane_group("SO2", [ROTATION], [], None, "planar rotations")


def o2() -> Group:
    return _plane_group(
        "O2",
        [ROTATION],
        [MIRROR_GENERATOR],
        None,
        "planar rotations and reflections",
    )


def t2() -> Group:
    return _plane_group(
        "T2",
        TRANSLATIONS,
        [],
        None,
        "image translations (lattices: whole sites, periodic)",
    )


def translation_x() -> Group:
    return _plane_group("Tx", TRANSLATIONS[:1], [], None, "translations along x")


def translation_y() -> Group:
    return _plane_group("Ty", TRANSLATIONS[1:], [], None, "translations along y")


def scale() -> Group:
    return _plane_group("scale", [SCALE_GENERATOR], [], None, "isotropic scaling")


def stretch_x() -> Group:
    record = rec.scaling("stretch", "x")
    return _plane_group(
        "stretchx",
        [("sx", STRETCH_X, LN2, record)],
        [],
        None,
        "stretches along x (x -> c x, y kept)",
    )


def stretch_y() -> Group:
    record = rec.scaling("stretch", "y")
    return _plane_group(
        "stretchy",
        [("sy", STRETCH_Y, LN2, record)],
        [],
        None,
        "stretches along y (y -> c y, x kept)",
    )


def affine2() -> Group:
    algebra = [
        *TRANSLATIONS,
        ROTATION,
        SCALE_GENERATOR,
        ("stretch", STRETCH, LN2, rec.scaling("stretch")),
        ("shear", SHEAR, LN2, rec.scaling("shear")),
    ]
    return _plane_group("affine2", algebra, [], None, "Augerino's six affine generators")


def _space_group(name: str, discrete: bool, description: str, axes: str = "xyz") -> Group:
    inversion = torch.diag(torch.tensor([-1.0, -1.0, -1.0, 1.0], dtype=DTYPE))
    gens = [inversion] if discrete else []
    chosen = ["xyz".index(a) for a in axes]
    return Group(
        name=name,
        domain="space",
        lie_algebra=_so3_algebra()[chosen],
        discrete_generators=_stack(gens, 4),
        generator_orders=(2,) * len(gens),
        order=None,
        lie_names=tuple(f"r{a}" for a in axes),
        lie_ranges=(math.pi,) * len(axes),
        discrete_names=("inversion",) * len(gens),
        acts_on=moved_by("space"),
        haar=len(axes) == 3,
        description=description,
        lie_records=tuple(rec.rotation(a) for a in axes),
        discrete_records=(rec.discrete("inversion"),) * len(gens),
    )


def so3() -> Group:
    return _space_group("SO3", False, "3D rotations")


def o3() -> Group:
    return _space_group("O3", True, "3D rotations and the point inversion x -> -x")


def axis_rotations(axis: str) -> Group:
    """SO2x, SO2y, SO2z: 3D rotations about one coordinate axis."""
    return _space_group(f"SO2{axis}", False, f"3D rotations about the {axis} axis", axis)


def _permutation_matrices(perms: Tensor) -> Tensor:
    """(B, n) index tensors -> (B, n, n) matrices P with (P x)[i] = x[perm[i]]."""
    n = perms.shape[-1]
    return torch.nn.functional.one_hot(perms, n).to(DTYPE)


def symmetric(n: int) -> Group:
    # The n-cycle and one transposition generate S_n (for n = 2 they coincide).
    identity = torch.arange(n)
    gens = [(f"cycle{n}", identity.roll(-1), n)] if n >= 2 else []
    if n >= 3:
        gens.append(("swap01", torch.cat([identity[[1, 0]], identity[2:]]), 2))

    def uniform_permutations(k: int, generator: torch.Generator) -> Tensor:
        keys = torch.rand(k, n, generator=generator, device=generator.device).cpu()
        return _permutation_matrices(keys.argsort(dim=-1))

    return Group(
        name=f"S{n}",
        domain="perm",
        lie_algebra=torch.zeros(0, n, n, dtype=DTYPE),
        discrete_generators=_stack([_permutation_matrices(p) for _, p, _ in gens], n),
        generator_orders=tuple(o for _, _, o in gens),
        order=math.factorial(n),
        lie_names=(),
        lie_ranges=(),
        discrete_names=tuple(nm for nm, _, _ in gens),
        acts_on=moved_by("perm"),
        discrete_sampler=uniform_permutations,
        description=f"permutations of {n} points",
        discrete_records=(rec.discrete("permutation"),) * len(gens),
    )


def shift(n: int, step: int = 1) -> Group:
    """shift<N>: cyclic shifts of length-N sequences; shift<N>by<s>: by multiples of s only
    (the cyclic subgroup of order N/s; s divides N)."""
    if n % step:
        raise ValueError(f"shift{n}by{step}: {step} does not divide {n}")
    # Shifting a length-n sequence by s is rotating its circle of positions by 2*pi*s/n.
    order = n // step
    gens = [torch.tensor(_rotation(2 * math.pi * step / n), dtype=DTYPE)] if order > 1 else []
    name, by = (f"shift{n}", "") if step == 1 else (f"shift{n}by{step}", f" by multiples of {step}")
    return Group(
        name=name,
        domain="circle",
        lie_algebra=torch.zeros(0, 2, 2, dtype=DTYPE),
        discrete_generators=_stack(gens, 2),
        generator_orders=(order,) * len(gens),
        order=order,
        lie_names=(),
        lie_ranges=(),
        discrete_names=(f"shift{step}",) * len(gens),
        acts_on=moved_by("circle"),
        description=f"cyclic shifts of length-{n} sequences{by}",
        discrete_records=(rec.cyclic_shift(step),) * len(gens),
    )


def flip() -> Group:
    return Group(
        name="flip",
        domain="sign",
        lie_algebra=torch.zeros(0, 1, 1, dtype=DTYPE),
        discrete_generators=-torch.ones(1, 1, 1, dtype=DTYPE),
        generator_orders=(2,),
        order=2,
        lie_names=(),
        lie_ranges=(),
        discrete_names=("flip",),
        acts_on=moved_by("sign"),
        description="sign flip x -> -x (Z2)",
        discrete_records=(rec.discrete("flip"),),
    )


def learned(k: int, domain: str = "plane", seed: int = 0) -> Group:
    """k learnable generators, initialized Gaussian with equal (unit) Frobenius norms.

    ``domain`` is ``plane`` (3x3 affine algebra: images, 2D points) or ``space`` (4x4: 3D
    points). The bottom row stays zero so that exp stays an affine map.
    """
    if domain not in ("plane", "space"):
        raise ValueError(f"learned<k> acts in the plane or in space, not {domain!r}")
    d = 3 if domain == "plane" else 4
    rng = torch.Generator().manual_seed(seed)
    basis = torch.zeros(k, d, d, dtype=DTYPE)
    basis[:, : d - 1, :] = torch.randn(k, d - 1, d, generator=rng, dtype=DTYPE)
    basis = basis / torch.linalg.matrix_norm(basis).view(k, 1, 1)
    return Group(
        name=f"learned{k}",
        domain=domain,
        lie_algebra=basis,
        discrete_generators=torch.zeros(0, d, d, dtype=DTYPE),
        generator_orders=(),
        order=None,
        lie_names=tuple(f"L{i}" for i in range(k)),
        lie_ranges=(1.0,) * k,
        discrete_names=(),
        acts_on=_plane_kinds(False) if domain == "plane" else moved_by("space"),
        learnable=True,
        description=f"{k} learnable generators (SEMoLA)",
    )
