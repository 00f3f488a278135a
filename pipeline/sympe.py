"""SymPE symmetry breaking (Lawrence et al. 2025): a symmetric input, a less symmetric answer.

The wrapped model sees its input together with h . v0, where v0 is a learned reference field and
h a canonicalizing group element of the input: one maximizing a fixed random score s(g^-1 x),
drawn uniformly among ties. Ties are exactly the input's stabilizer (for the all-zero lattice:
the whole group), so the model's output is equivariant in distribution while each sample can
break the input's self-symmetry. Without it, an equivariant deterministic backbone can only map a
symmetric input to an equally symmetric output.

Candidate elements: a finite group's elements; on lattices, translations are taken at whole
sites (L x L of them) times the discrete part; other continuous groups use 64 seeded samples (an
approximate canonicalization). Scores use <w, g^-1 x> = <g w, x>, exact for actions that permute
values (lattice moves, flips, grid rotations, shifts).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from pipeline.actions import act
from pipeline.groups import Group

KINDS = ("lattice", "image", "sequence")
ENCODING_CHANNELS = 4  # several reference fields: more ways to express a symmetry-broken answer
CONTINUOUS_CANDIDATES = 64
TIE_TOLERANCE = 1e-6


def with_encoding_channel(kind: str, in_shape: tuple[int, ...]) -> tuple[int, ...]:
    """Input shape of the backbone once the encoding is stacked as one more channel."""
    if kind not in KINDS:
        raise ValueError(f"symmetry_breaking: sympe supports {', '.join(KINDS)} data, not {kind}")
    if kind == "lattice" and len(in_shape) == 2:
        return (1 + ENCODING_CHANNELS, *in_shape)
    return (in_shape[0] + ENCODING_CHANNELS, *in_shape[1:])


def candidate_elements(group: Group, kind: str, size: int, seed: int) -> Tensor:
    """The elements the canonicalizer chooses among (M, d, d)."""
    discrete = group.discrete_elements()
    if group.lie_dim == 0:
        return discrete
    translations_only = all(r.kind == "translation" for r in group.lie_records)
    if kind == "lattice" and translations_only:
        steps = torch.arange(size, dtype=group.dtype) * 2 / size  # one site is 2/L
        grid = torch.cartesian_prod(steps, steps)
        if group.lie_dim == 1:
            grid = steps[:, None]
        moves = group.exp(grid)
        return (moves[:, None] @ discrete[None]).reshape(-1, group.dim, group.dim)
    return group.sample(CONTINUOUS_CANDIDATES, torch.Generator().manual_seed(seed))


class SymPE(nn.Module):
    """backbone(concat(x, h . v0)) with h a canonicalizing element of x."""

    def __init__(self, backbone: nn.Module, group: Group, kind: str, in_shape: tuple[int, ...],
                 seed: int) -> None:  # fmt: skip
        super().__init__()
        self.backbone, self.group, self.kind = backbone, group.to(dtype=torch.float32), kind
        init = torch.Generator().manual_seed(seed)
        grid = in_shape[-1:] if kind == "sequence" else in_shape[-2:]
        field_shape = (ENCODING_CHANNELS, *grid)
        # Small: the loss then grows its fastest mode (a checkerboard on the Ising lattice) into
        # one global pattern, where a large random start freezes in domain walls.
        self.reference = nn.Parameter(0.5 * torch.randn(field_shape, generator=init))
        elements = candidate_elements(self.group, kind, in_shape[-1], seed)
        self.register_buffer("elements", elements.to(torch.float32))
        weights = torch.randn(in_shape, generator=init)
        moved = act(self.group, self.elements, weights.expand(len(elements), *in_shape), kind)
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

    def forward(self, x: Tensor) -> Tensor:
        channels = x[:, None] if (self.kind == "lattice" and x.dim() == 3) else x
        return self.backbone(torch.cat([channels, self.encoding(x)], dim=1))
