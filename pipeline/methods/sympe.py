"""SymPE symmetry breaking (Lawrence et al. 2025): a symmetric input, a less symmetric answer.

The wrapped model sees its input together with h . v0, where v0 is a learned reference field and
h a canonicalizing group element of the input: one maximizing a fixed random score s(g^-1 x),
drawn uniformly among ties. Ties are exactly the input's stabilizer (for the all-zero lattice:
the whole group), so the model's output is equivariant in distribution while each sample can
break the input's self-symmetry. Without it, an equivariant deterministic backbone can only map a
symmetric input to an equally symmetric output.

Candidate elements always form a group G', so that h(g x) = g h(x) for every g in G' wherever
the action permutes values (lattice moves, flips, shifts, 90-degree rotations): a finite group's
elements; on lattices, whole-site translations (L x L) times the discrete part; for a continuous
planar rotation, its grid C64 (5.6 degree steps; D64 with a mirror), so SymPE on SO2 is
equivariant for the 64 grid rotations. Other continuous generators (scale, image translations,
learned ones) have no finite grid and are refused. Scores use <w, g^-1 x> = <g w, x>. For
rotation grids on images, whose warps interpolate, w is a smooth field of low angular frequency
evaluated exactly at g^-1 p: the score then has one broad maximum over the rotations, and the
interpolation of g x moves the argmax by at most a grid step (on smooth images: 96% exact).
"""

from __future__ import annotations

import math
from dataclasses import replace

import torch
from torch import Tensor, nn

from pipeline.actions import act
from pipeline.groups import Group, product
from pipeline.kinds import kind_names, kind_record

ENCODING_CHANNELS = 4  # several reference fields: more ways to express a symmetry-broken answer
ROTATION_GRID = 64  # a continuous rotation canonicalizes over C64: 5.6 degree steps
TIE_TOLERANCE = 1e-6


def with_encoding_channel(kind: str, in_shape: tuple[int, ...]) -> tuple[int, ...]:
    """Input shape of the backbone once the encoding is stacked as one more channel."""
    record = kind_record(kind)
    if not record.sympe:
        supported = ", ".join(k for k in kind_names() if kind_record(k).sympe)
        raise ValueError(f"symmetry_breaking: sympe supports {supported} data, not {kind}")
    if record.channels_optional and len(in_shape) == record.grid_dims:
        return (1 + ENCODING_CHANNELS, *in_shape)
    return (in_shape[0] + ENCODING_CHANNELS, *in_shape[1:])


def candidate_elements(group: Group, kind: str, size: int) -> Tensor:
    """The elements the canonicalizer chooses among (M, d, d): a group (see the module
    docstring); ValueError where the group's continuous part has no finite grid."""
    discrete = group.discrete_elements()
    if group.lie_dim == 0:
        return discrete
    if kind_record(kind).whole_sites and _translations_only(group):
        steps = torch.arange(size, dtype=group.dtype) * 2 / size  # one site is 2/L
        grid = torch.cartesian_prod(steps, steps)
        if group.lie_dim == 1:
            grid = steps[:, None]
        moves = group.exp(grid)
        return (moves[:, None] @ discrete[None]).reshape(-1, group.dim, group.dim)
    return product(*(_rotation_grid(factor) for factor, _ in group.blocks())).discrete_elements()


def _translations_only(group: Group) -> bool:
    return all(record.kind == "translation" for record in group.lie_records)


def _rotation_grid(factor: Group) -> Group:
    """The factor with its one continuous rotation replaced by C_n (n = ROTATION_GRID)."""
    if factor.lie_dim == 0:
        return factor
    generator = factor.lie_algebra[0].to(torch.float64)
    if factor.lie_dim > 1 or not _is_rotation(generator):
        raise ValueError(
            f"symmetry_breaking: sympe canonicalizes over finite groups, whole-site lattice "
            f"translations and planar rotations (on a C{ROTATION_GRID} grid), not over "
            f"{factor.name} (continuous generators: {', '.join(factor.lie_names)})"
        )
    step = torch.linalg.matrix_exp(2 * math.pi / ROTATION_GRID * generator).to(factor.dtype)
    return replace(
        factor,
        name=f"{factor.name}-grid",
        lie_algebra=factor.lie_algebra[:0],
        discrete_generators=torch.cat([step[None], factor.discrete_generators]),
        generator_orders=(ROTATION_GRID, *factor.generator_orders),
        order=None,
        lie_names=(),
        lie_ranges=(),
        discrete_names=("grid", *factor.discrete_names),
        haar=False,
        discrete_sampler=None,
        lie_records=(),
        discrete_records=(),
        reference=None,  # another group: records and enumeration are its own
    )


def _is_rotation(generator: Tensor) -> bool:
    """exp(2 pi L) = 1 for a non-zero L: a compact one-parameter subgroup of period 2 pi."""
    turn = torch.linalg.matrix_exp(2 * math.pi * generator)
    return bool(generator.any()) and torch.allclose(
        turn, torch.eye(len(turn), dtype=turn.dtype), atol=1e-9
    )


def smooth_moved_references(
    group: Group,
    elements: Tensor,
    shape: tuple[int, ...],
    generator: torch.Generator,
    kind: str = "image",
) -> Tensor:
    """g . w for every element g (M, C, H, W), with w a random image field of low angular
    frequency (0 and 1) about the centre, zero outside the inscribed disc: its scores vary
    smoothly with the rotation angle, with one maximum. The plane part is evaluated exactly at
    g^-1 p, not interpolated, so every grid rotation of w is equally accurate."""
    coefficients = torch.randn(shape[0], 3, 3, generator=generator, dtype=torch.float64)
    height, width = shape[-2:]
    ys = (2 * torch.arange(height, dtype=torch.float64) + 1) / height - 1  # pixel centres
    xs = (2 * torch.arange(width, dtype=torch.float64) + 1) / width - 1
    y, x = torch.meshgrid(ys, xs, indexing="ij")
    points = torch.stack([x, y, torch.ones_like(x)], dim=-1).reshape(-1, 3)
    rest = elements.to(torch.float64).clone()  # what is left to apply once the plane is done
    source = points.expand(len(elements), -1, -1)
    for factor, span in group.blocks():
        if factor.domain == "plane":
            source = points @ torch.linalg.inv(rest[:, span, span]).transpose(-1, -2)
            rest[:, span, span] = torch.eye(3, dtype=torch.float64)
    field = _low_frequency_field(coefficients, source[..., 0], source[..., 1])
    return act(group, rest, field.reshape(len(elements), *shape), kind).to(torch.float32)


def _low_frequency_field(coefficients: Tensor, x: Tensor, y: Tensor) -> Tensor:
    """Per channel c: a0(r) + a1(r) cos(phi) + b1(r) sin(phi) at the points (x, y) (..., P),
    each radial profile a sum of three bumps with the coefficients (C, 3, 3); (..., C, P)."""
    radius, angle = torch.sqrt(x**2 + y**2), torch.atan2(y, x)
    bumps = torch.stack([torch.exp(-((radius - c) ** 2) / 0.03) for c in (0.2, 0.45, 0.7)])
    harmonics = torch.stack([torch.ones_like(angle), torch.cos(angle), torch.sin(angle)])
    field = torch.einsum("cmb,b...p,m...p->...cp", coefficients, bumps, harmonics)
    return field * ((1 - radius).clamp(min=0) ** 2)[..., None, :]


class SymPE(nn.Module):
    """backbone(concat(x, h . v0)) with h a canonicalizing element of x."""

    def __init__(
        self, backbone: nn.Module, group: Group, kind: str, in_shape: tuple[int, ...], seed: int
    ) -> None:
        super().__init__()
        elements = candidate_elements(group, kind, in_shape[-1])  # in the catalog's float64
        self.backbone, self.group, self.kind = backbone, group.to(dtype=torch.float32), kind
        record = kind_record(kind)
        # examples without a channel axis, (B, *grid): the rank that gets one (else none)
        self.channelless = 1 + record.grid_dims if record.channels_optional else -1
        init = torch.Generator().manual_seed(seed)
        grid = in_shape[-record.grid_dims :]
        field_shape = (ENCODING_CHANNELS, *grid)
        # Small: the loss then grows its fastest mode (a checkerboard on the Ising lattice) into
        # one global pattern, where a large random start freezes in domain walls.
        self.reference = nn.Parameter(0.5 * torch.randn(field_shape, generator=init))
        self.register_buffer("elements", elements.to(torch.float32))
        weights = torch.randn(in_shape, generator=init)
        moved = act(self.group, self.elements, weights.expand(len(elements), *in_shape), kind)
        if record.interpolated and group.lie_dim:  # interpolated rotations: a smooth score
            moved = smooth_moved_references(group, elements, in_shape, init, kind)
        self.register_buffer("moved_weights", moved.flatten(1))  # row g: g . w
        self.rng = torch.Generator().manual_seed(seed + 1)

    def canonicalize(self, x: Tensor) -> Tensor:
        """One element per input among the maximizers of <g . w, x>, ties drawn uniformly."""
        scores = x.flatten(1) @ self.moved_weights.T  # (B, M)
        best = scores.amax(dim=1, keepdim=True)
        tied = scores >= best - TIE_TOLERANCE * (best.abs() + 1)
        keys = torch.rand(scores.shape, generator=self.rng).to(x.device)
        choice = torch.where(tied, keys, torch.full_like(keys, -1.0)).argmax(dim=1)
        return self.elements[choice]

    def encoding(self, x: Tensor) -> Tensor:
        h = self.canonicalize(x)
        field = self.reference.expand(len(x), *self.reference.shape)
        return act(self.group, h, field, self.kind)

    def backbone_inputs(self, x: Tensor) -> Tensor:
        """What the backbone reads: x with h . v0 as extra channels (trials trained as one
        batched model run this per trial, then their stacked backbones at once)."""
        channels = x[:, None] if x.dim() == self.channelless else x
        return torch.cat([channels, self.encoding(x)], dim=1)

    def forward(self, x: Tensor) -> Tensor:
        return self.backbone(self.backbone_inputs(x))
