"""Learnable augmentation over a candidate group (Augerino; SEMoLA for learned bases).

Continuous part: g = exp(sum_i a_i L_i) with a_i = u_i * w_i * range_i, where w_i = softplus(raw_i)
is the width as a fraction of generator i's natural range (so one prior treats a rotation, a
translation and a scale alike) and u_i ~ U[-1, 1] (``uniform``) or N(0, 1) (``gaussian``):
reparameterized, so gradients reach w. The learned width in the generator's own units is
w_i * range_i.

Discrete part: per discrete generator h of order n, learnable logits over its powers h^0..h^(n-1),
sampled with a straight-through Gumbel-softmax: the forward pass applies the sampled power, the
backward pass sees the relaxed weights. Its width is the probability mass spread away from the
most likely power, 1 - max_k p_k, normalized by its value under the uniform distribution, 1 - 1/n:
0 for a point mass (always the same element, whichever it is), 1 for uniform.

Lattices: a translation moves whole sites, so a continuous coefficient would be rounded and the
task gradient would never reach its width. There each translation generator instead has
learnable logits over its L whole-site shifts (0..L-1 sites along it, periodic), sampled like a
discrete generator; its width is the same normalized spread. ``init_width`` sets the starting
spread (1 or more: uniform over the shifts); ``prior`` does not apply to them.

The regularizer is -||widths||_2 over all normalized widths (multiplied by ``reg`` in the
trial's loss), which favours as much symmetry as the task tolerates.

Learned bases (SEMoLA) train in two phases (the trial drives them): while the directions are
found, ``after_step(hold_widths=True)`` keeps learned widths from shrinking below ``init_width``;
then ``release_widths`` restarts each at ``init_width`` of its direction's catalog reach.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from pipeline.actions import act
from pipeline.groups import Group, get_group, span_name
from pipeline.kinds import kind_record

PRIORS = ("uniform", "gaussian")
# Catalog families whose (mutually orthogonal) generators and natural ranges calibrate the reach
# of a learned generator in that domain; directions outside them count with range 1.0.
REFERENCE_FAMILIES = {"plane": "affine2", "space": "SO3"}
ACTIVE_THRESHOLD = 0.5  # normalized width from which a generator counts as discovered


@dataclass(frozen=True)
class GeneratorReadout:
    generator: str
    learned_width: float  # coefficient units (continuous) or 1 - max_k p_k (discrete)
    normalized_width: float  # fraction of the natural range / of the uniform distribution's mass
    active: bool


@dataclass(frozen=True)
class Readout:
    generators: list[GeneratorReadout]
    discovered_group: str
    spread_orders: dict[str, int] = field(default_factory=dict)  # per discrete generator


def inverse_softplus(y: float) -> float:
    return y + math.log(-math.expm1(-y))


class LearnableAugmentation(nn.Module):
    """A learnable distribution over ``group`` acting on data of ``kind``."""

    def __init__(
        self,
        group: Group,
        kind: str,
        prior: str = "uniform",
        init_width: float = 0.5,
        temperature: float = 0.5,
        seed: int = 0,
        lattice_size: int = 0,
    ) -> None:
        super().__init__()
        if prior not in PRIORS:
            raise ValueError(f"prior must be one of {', '.join(PRIORS)}, got {prior!r}")
        if init_width <= 0:
            raise ValueError(f"init_width must be positive, got {init_width}")
        self.group, self.kind, self.prior, self.temperature = group, kind, prior, temperature
        self.site_shifts = kind_record(kind).whole_sites and group.lie_dim > 0
        continuous = 0 if self.site_shifts else group.lie_dim  # lattices: shift logits instead
        self.raw_widths = nn.Parameter(torch.full((continuous,), inverse_softplus(init_width)))
        self.init_width, self.initial_raw = init_width, inverse_softplus(init_width)
        self.shift_logits = nn.ParameterList()
        if self.site_shifts:
            self._init_site_shifts(lattice_size, init_width)
        self.register_buffer("ranges", torch.tensor(group.lie_ranges, dtype=torch.float32))
        basis = group.lie_algebra.to(torch.float32).clone()
        if group.learnable:  # SEMoLA: the basis itself is learned, from a seeded start
            self.register_buffer("basis_mask", (basis != 0).to(torch.float32))
            self.basis = nn.Parameter(_equal_norm_start(self.basis_mask, seed))
        else:
            self.register_buffer("basis", basis)
        self.logits = nn.ParameterList(
            [nn.Parameter(torch.zeros(order)) for order in group.generator_orders]
        )
        for j, (generator, order) in enumerate(
            zip(group.discrete_generators, group.generator_orders, strict=True)
        ):
            powers = torch.stack([torch.linalg.matrix_power(generator, k) for k in range(order)])
            self.register_buffer(f"powers{j}", powers.to(torch.float32))

    def _init_site_shifts(self, size: int, init_width: float) -> None:
        """Logits over whole-site shifts k = 0..L-1 per translation generator, and the moves."""
        if size < 2:
            raise ValueError("translations on a lattice need its side length (lattice_size >= 2)")
        if not _translations_only(self.group):
            raise ValueError(f"{self.group.name}: only translations act on lattices continuously")
        # Mass init_width * (1 - 1/L) spread evenly away from shift 0: that normalized spread.
        spread = min(init_width, 1.0) * (1 - 1 / size)
        start = torch.full((size,), math.log(max(spread, 1e-6) / (size - 1)))
        start[0] = math.log(max(1 - spread, 1e-6))
        steps = torch.arange(size, dtype=torch.float64) * 2 / size  # one site is 2/L
        for i in range(self.group.lie_dim):
            self.shift_logits.append(nn.Parameter(start.clone()))
            coefficients = torch.zeros(size, self.group.lie_dim, dtype=torch.float64)
            coefficients[:, i] = steps
            moves = self.group.to(dtype=torch.float64).exp(coefficients)
            self.register_buffer(f"site_moves{i}", moves.to(torch.float32))

    # -- distribution ---------------------------------------------------------------------

    @property
    def widths(self) -> Tensor:
        """Normalized continuous widths w (fractions of the natural ranges; on lattices the
        normalized spread of each translation's shift distribution)."""
        if self.site_shifts:
            return torch.stack([_spread(logits.softmax(dim=0)) for logits in self.shift_logits])
        return F.softplus(self.raw_widths)

    def discrete_probabilities(self) -> list[Tensor]:
        return [logits.softmax(dim=0) for logits in self.logits]

    def discrete_widths(self) -> Tensor:
        """Spread 1 - max_k p_k per discrete generator, normalized by its uniform value."""
        widths = [_spread(p) for p in self.discrete_probabilities()]
        return torch.stack(widths) if widths else self.raw_widths.new_zeros(0)

    def all_widths(self) -> Tensor:
        return torch.cat([self.widths, self.discrete_widths()])

    def regularizer(self) -> Tensor:
        """-||normalized widths||_2: adding reg times this to the loss rewards symmetry."""
        return -self.all_widths().norm()

    def basis_parameters(self) -> list[nn.Parameter]:
        """The learned basis (SEMoLA), trained at its own rate; empty for fixed bases."""
        return [self.basis] if self.group.learnable else []

    @torch.no_grad()
    def start_basis(self, start: Tensor) -> None:
        """Restart the learned generators at ``start`` (D, d, d; rows of fixed generators are
        ignored), each scaled to unit Frobenius norm on the mask's free entries."""
        learned = self.learned_mask()
        start = start.to(self.basis) * self.basis_mask
        norms = start.flatten(1).norm(dim=1).clamp(min=1e-8)
        self.basis.copy_(
            torch.where(learned[:, None, None], start / norms[:, None, None], self.basis)
        )

    def distribution_parameters(self) -> list[nn.Parameter]:
        """Widths and discrete logits: what the regularizer and the task shape."""
        return [self.raw_widths, *self.logits]

    def learned_mask(self) -> Tensor:
        """True for continuous generators whose direction is learned."""
        if not self.group.learnable:
            return torch.zeros(self.group.lie_dim, dtype=torch.bool, device=self.raw_widths.device)
        return self.basis_mask.flatten(1).any(dim=1)

    @torch.no_grad()
    def after_step(self, hold_widths: bool) -> None:
        """Keep a learned basis on the unit sphere, and (while ``hold_widths``) keep learned
        generators' widths from shrinking below where they started.

        Why: the widths' gradients come through the direction in use. While a learned direction
        is still wrong, the task penalizes any width along it, so the width collapses; by the
        time the direction has found a symmetry, the network has fitted nearly unaugmented data
        and the width cannot regrow (a width near zero also starves the direction of signal).
        Holding the width decouples the two: the direction is learned under a constant probe
        width, then the width is free to find the extent. Renormalizing keeps the direction's
        effective step size constant (Adam's steps on an unnormalized parameter shrink in angle
        as its norm grows).
        """
        if not self.group.learnable:
            return
        learned = self.learned_mask()
        norms = (self.basis * self.basis_mask).flatten(1).norm(dim=1).clamp(min=1e-8)
        self.basis.copy_(
            torch.where(learned[:, None, None], self.basis / norms[:, None, None], self.basis)
        )
        if hold_widths:
            floor = torch.where(learned, self.initial_raw, self.raw_widths.new_full((), -math.inf))
            self.raw_widths.copy_(torch.maximum(self.raw_widths, floor))

    @torch.no_grad()
    def catalog_reach(self) -> Tensor:
        """Per continuous generator, the coefficient that is "the whole symmetry" along its
        current direction, in the units of its normalized width: 1.0 for fixed generators; for
        a learned (unit-norm) generator, the catalog's natural ranges interpolated by its
        components, sqrt(sum_j c_j^2 R_j^2 + (1 - sum_j c_j^2)), where c_j are its cosines with
        the reference family's generators and R_j their ranges per unit norm (a learned
        rotation of the plane: pi * sqrt(2), a translation: 1)."""
        reach = torch.ones_like(self.raw_widths)
        if not self.group.learnable:
            return reach
        start = 0
        basis = self.normalized_basis().flatten(1)
        for factor, _ in self.group.blocks():
            for i in range(start, start + factor.lie_dim):
                if factor.learnable:
                    reach[i] = _interpolated_range(basis[i], factor.domain)
            start += factor.lie_dim
        return reach

    @torch.no_grad()
    def release_widths(self) -> None:
        """End of the direction phase: re-initialize each learned width to ``init_width`` of its
        direction's catalog reach (or keep it, if larger).

        Why: Augerino's widths have two basins. Started small, the network fits nearly
        unaugmented data and every width collapses; started at a good fraction of a symmetry's
        range, the network becomes invariant and the width grows. ``init_width`` of a catalog
        generator is a fraction of its natural range (a rotation starts at 0.3 * pi), but a unit-
        norm learned generator starts at 0.3 (12 degrees of rotation): in the collapsing basin.
        Once the direction is known, its reach is too, so the width restarts where a catalog
        generator along it would have started.
        """
        if not self.group.learnable:
            return
        target = self.init_width * self.catalog_reach()
        wanted = torch.maximum(self.widths, target)
        raw = wanted + torch.log(-torch.expm1(-wanted))  # inverse softplus
        self.raw_widths.copy_(torch.where(self.learned_mask(), raw, self.raw_widths))

    def _powers(self, j: int) -> Tensor:
        return getattr(self, f"powers{j}")

    # -- sampling ---------------------------------------------------------------------------

    def sample_coefficients(self, n: int, generator: torch.Generator) -> Tensor:
        shape = (n, self.group.lie_dim)
        if self.prior == "uniform":
            unit = 2 * torch.rand(shape, generator=generator, device=generator.device) - 1
        else:
            unit = torch.randn(shape, generator=generator, device=generator.device)
        return unit.to(self.raw_widths.device) * self.widths * self.ranges

    def normalized_basis(self) -> Tensor:
        """The algebra basis in use; learned generators are Frobenius-normalized, so that their
        widths alone say how far the augmentation reaches."""
        if not self.group.learnable:
            return self.basis
        masked = self.basis * self.basis_mask
        norms = masked.flatten(1).norm(dim=1).clamp(min=1e-8)
        learned = self.basis_mask.flatten(1).any(dim=1)
        return torch.where(learned[:, None, None], masked / norms[:, None, None], self.basis)

    def basis_penalties(self) -> tuple[Tensor, Tensor]:
        """(orthogonality, sparsity) of a learned basis: sum_{i<j} |<L_i, L_j>_F| and the mean
        L1 norm of the normalized generators (zero for fixed bases)."""
        if not self.group.learnable:
            zero = self.raw_widths.new_zeros(())
            return zero, zero
        flat = self.normalized_basis().flatten(1)
        gram = flat @ flat.T
        orthogonality = gram.triu(diagonal=1).abs().sum()
        return orthogonality, flat.abs().sum(dim=1).mean()

    def continuous_elements(self, coefficients: Tensor) -> Tensor:
        if self.group.learnable or not self.group.factors:
            tangent = torch.einsum("ni,ijk->njk", coefficients, self.normalized_basis())
            return torch.linalg.matrix_exp(tangent)
        return self.group.exp(coefficients)  # block by block: finite factors stay exact

    def _discrete_indices(self, n: int, generator: torch.Generator) -> list[Tensor]:
        return [
            torch.multinomial(p.detach().cpu(), n, replacement=True, generator=generator)
            for p in self.discrete_probabilities()
        ]

    def _site_moves(self, i: int) -> Tensor:
        return getattr(self, f"site_moves{i}")

    def _sample_site_shifts(self, n: int, generator: torch.Generator) -> Tensor:
        g = self._site_moves(0)[0].expand(n, -1, -1)  # the identity
        for i, logits in enumerate(self.shift_logits):
            p = logits.detach().softmax(dim=0).cpu()
            index = torch.multinomial(p, n, replacement=True, generator=generator)
            g = g @ self._site_moves(i)[index.to(g.device)]
        return g

    def sample_elements(self, n: int, generator: torch.Generator) -> Tensor:
        """n hard elements from the learned distribution: c h_1^k_1 ... h_M^k_M, (n, d, d)."""
        if self.site_shifts:
            g = self._sample_site_shifts(n, generator)
        else:
            g = self.continuous_elements(self.sample_coefficients(n, generator))
        for j, index in enumerate(self._discrete_indices(n, generator)):
            g = g @ self._powers(j)[index.to(g.device)]
        return g

    def forward(self, x: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """Augment a training batch: (moved x, the elements g = c h used), with gradients
        reaching widths and logits. The discrete part h = h_1^k_1 ... h_M^k_M acts first."""
        n = len(x)
        if self.site_shifts:
            return self._forward_on_lattice(x, generator)
        continuous = self.continuous_elements(self.sample_coefficients(n, generator))
        choices = [self._straight_through(logits, n, generator) for logits in self.logits]
        for j in reversed(range(len(choices))):
            x = self._relaxed_action(self._powers(j), choices[j][0], x)
        if self.group.lie_dim:
            x = act(self.group, continuous, x, self.kind)
        elements = continuous
        for j, (_, index) in enumerate(choices):
            elements = elements @ self._powers(j)[index]
        return x, elements

    def _straight_through(self, logits: Tensor, n: int, generator: torch.Generator):
        uniform = torch.rand(n, len(logits), generator=generator, device=generator.device)
        gumbel = -torch.log(-torch.log(uniform.to(logits.device).clamp(1e-10, 1 - 1e-10)))
        soft = ((logits + gumbel) / self.temperature).softmax(dim=-1)
        index = soft.argmax(dim=-1)
        hard = F.one_hot(index, len(logits)).to(soft.dtype)
        return hard - soft.detach() + soft, index

    def _forward_on_lattice(self, x: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """As ``forward``, with whole-site shifts chosen like discrete powers (the translations
        commute, so their order does not matter; they act after the discrete part)."""
        n = len(x)
        shifts = [self._straight_through(logits, n, generator) for logits in self.shift_logits]
        choices = [self._straight_through(logits, n, generator) for logits in self.logits]
        for j in reversed(range(len(choices))):
            x = self._relaxed_action(self._powers(j), choices[j][0], x)
        for i, (weights, _) in enumerate(shifts):
            x = self._relaxed_action(self._site_moves(i), weights, x)
        elements = self._site_moves(0)[0].expand(n, -1, -1)
        for i, (_, index) in enumerate(shifts):
            elements = elements @ self._site_moves(i)[index]
        for j, (_, index) in enumerate(choices):
            elements = elements @ self._powers(j)[index]
        return x, elements

    def _relaxed_action(self, elements: Tensor, weights: Tensor, x: Tensor) -> Tensor:
        """sum_k weights[:, k] * act(elements[k], x): equals the sampled element's action in
        value, while the gradient reaches every weight."""
        count, n = len(elements), len(x)  # one batched action for all the elements
        every = x.expand(count, *x.shape).reshape(count * n, *x.shape[1:])
        moved = act(self.group, elements.repeat_interleave(n, dim=0), every, self.kind)
        moved = moved.reshape(count, *x.shape)
        shape = (count, n) + (1,) * (x.dim() - 1)
        return (weights.T.reshape(shape) * moved).sum(dim=0)

    # -- readout ----------------------------------------------------------------------------

    @torch.no_grad()
    def readout(self, threshold: float = ACTIVE_THRESHOLD) -> Readout:
        rows = []
        for name, w, r in zip(
            self.group.lie_names, self.widths.tolist(), self.group.lie_ranges, strict=True
        ):
            learned = w * (1 - 1 / self._shift_count()) if self.site_shifts else w * r
            rows.append(GeneratorReadout(name, learned, w, w >= threshold))
        orders = {}
        for name, p, w in zip(
            self.group.discrete_names,
            self.discrete_probabilities(),
            self.discrete_widths().tolist(),
            strict=True,
        ):
            rows.append(GeneratorReadout(name, float(1 - p.max()), w, w >= threshold))
            orders[name] = _spread_order(p)
        active = [r.generator for r in rows if r.active]
        return Readout(rows, span_name(self.group, active, orders), orders)

    def _shift_count(self) -> int:
        return len(self.shift_logits[0]) if self.shift_logits else 0


def _spread(p: Tensor) -> Tensor:
    """1 - max_k p_k, normalized by its value under the uniform distribution, 1 - 1/n."""
    return (1 - p.max()) / (1 - 1 / len(p))


def _translations_only(group: Group) -> bool:
    """Every algebra generator moves the plane without turning or stretching it."""
    moving = [f for f, _ in group.blocks() if f.lie_dim]
    return all(f.domain == "plane" and not f.lie_algebra[:, :2, :2].any() for f in moving)


def _equal_norm_start(mask: Tensor, seed: int) -> Tensor:
    """Gaussian generators on the free entries, each of unit Frobenius norm."""
    rng = torch.Generator().manual_seed(seed)
    start = torch.randn(mask.shape, generator=rng) * mask
    norms = start.flatten(1).norm(dim=1).clamp(min=1e-8)
    return start / norms[:, None, None]


def _interpolated_range(direction: Tensor, domain: str) -> Tensor:
    reference = get_group(REFERENCE_FAMILIES[domain])
    generators = reference.lie_algebra.to(direction).flatten(1)
    norms = generators.norm(dim=1)
    ranges = torch.tensor(reference.lie_ranges, dtype=direction.dtype, device=direction.device)
    cosines = (generators / norms[:, None]) @ direction / direction.norm().clamp(min=1e-12)
    squares = cosines.square()
    rest = (1 - squares.sum()).clamp(min=0)
    return (squares @ (ranges * norms).square() + rest).sqrt()


def _spread_order(p: Tensor) -> int:
    """Order of the cyclic subgroup generated by the powers carrying most of the mass."""
    support = [k for k, q in enumerate(p.tolist()) if q >= 0.5 * float(p.max())]
    return len(p) // math.gcd(len(p), *support)
