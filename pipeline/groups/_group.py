"""A symmetry group as data: a Lie algebra basis and discrete generators on a d-dim representation.

Every group element is a (d, d) matrix. The continuous part is reached by the matrix exponential
of algebra coefficients, the discrete part by words in the discrete generators; a general element
is ``exp(sum_i a_i L_i) @ h`` with ``h`` in the discrete subgroup. Products ``A*B`` are direct
products represented block-diagonally, and remember their factors so that actions can apply each
factor to the aspect of the data it moves.

Each group names the *domain* its matrices live in; actions (``pipeline.actions``) dispatch on it:

    plane   3x3 homogeneous matrices of the plane (x right, y down, as in ``affine_grid``)
    space   4x4 homogeneous matrices of 3D space
    perm    n x n permutation matrices acting on the indices of n points
    circle  2x2 rotations; the angle 2*pi*s/N shifts a length-N sequence by s positions
    sign    1x1 matrices (+1 or -1) multiplying the values of the data (spin flip)
    none    the 1x1 identity (the trivial group)
    product block-diagonal direct sum of the factors' domains
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

import torch
from torch import Tensor

from pipeline.groups import _records

# Enumerating a finite group is refused above this many elements (S9 already has 362,880).
MAX_ELEMENTS = 100_000

DiscreteSampler = Callable[[int, torch.Generator], Tensor]


@dataclass(frozen=True, eq=False)
class Group:
    """A matrix group. Treat instances as immutable: the catalog caches and shares them.

    Attributes:
        name: catalog name (``SO2``, ``D4``, ``SO2*flip``...).
        domain: what the matrices act on (see the module docstring).
        lie_algebra: (D, d, d) basis of the Lie algebra; D = 0 for finite groups.
        discrete_generators: (M, d, d) generators of the discrete part.
        generator_orders: order of each discrete generator.
        order: |G| for finite groups, None for continuous ones.
        lie_names / lie_ranges: a name per algebra generator and its natural range (the
            coefficient magnitude that counts as "the whole symmetry", e.g. pi for a rotation);
            the discovery readout divides learned widths by it.
        discrete_names: a name per discrete generator.
        acts_on: data kinds this group acts on (image, points, sequence, lattice).
        factors: for products, the factor groups in block order; empty otherwise.
        haar: the continuous part is all of SO(k) on the linear block, so ``sample`` draws it
            Haar-uniformly instead of from the coefficient box.
        discrete_sampler: draws uniform elements of a discrete part too large to enumerate.
        learnable: the algebra basis is an initial value to be trained (``learned<k>``).
        description: one line for ``symsearch groups``.
        lie_records / discrete_records: what each generator is (``GeneratorRecord``: kind,
            robustness grid and unit, axis), built by its family; generic records where none
            are given (``other``, stepped by coefficient or by power).
        reference: the group this one was cast from with ``to`` (the catalog's float64 copy).
            Finite structure is enumerated there and cast, because products of float32
            matrices drift apart and would split one element into several.
    """

    name: str
    domain: str
    lie_algebra: Tensor
    discrete_generators: Tensor
    generator_orders: tuple[int, ...]
    order: int | None
    lie_names: tuple[str, ...]
    lie_ranges: tuple[float, ...]
    discrete_names: tuple[str, ...]
    acts_on: frozenset[str]
    factors: tuple[Group, ...] = ()
    haar: bool = False
    discrete_sampler: DiscreteSampler | None = field(default=None, repr=False)
    learnable: bool = False
    description: str = ""
    lie_records: tuple[_records.GeneratorRecord, ...] = ()
    discrete_records: tuple[_records.GeneratorRecord, ...] = ()
    reference: Group | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._default_records()
        d = self.dim
        if self.lie_algebra.shape[1:] != (d, d) or self.discrete_generators.shape[1:] != (d, d):
            raise ValueError(f"{self.name}: generators must all be ({d}, {d}) matrices")
        if len(self.lie_names) != self.lie_dim or len(self.lie_ranges) != self.lie_dim:
            raise ValueError(f"{self.name}: need one name and one range per algebra generator")
        n_discrete = self.discrete_generators.shape[0]
        if len(self.discrete_names) != n_discrete or len(self.generator_orders) != n_discrete:
            raise ValueError(f"{self.name}: need one name and one order per discrete generator")
        _records.check_records(
            self.name, self.lie_records, self.lie_dim, _records.LIE_GRIDS, "algebra"
        )
        _records.check_records(
            self.name, self.discrete_records, n_discrete, _records.DISCRETE_GRIDS, "discrete"
        )

    def _default_records(self) -> None:
        # Frozen: fill the generic records in place of none given (a group built by hand).
        if not self.lie_records and self.lie_algebra.shape[0]:
            generic = _records.LEARNED if self.learnable else _records.OTHER_LIE
            object.__setattr__(self, "lie_records", (generic,) * self.lie_algebra.shape[0])
        if not self.discrete_records and self.discrete_generators.shape[0]:
            records = (_records.OTHER_DISCRETE,) * self.discrete_generators.shape[0]
            object.__setattr__(self, "discrete_records", records)

    # -- shape and kind -------------------------------------------------------------------

    @property
    def dim(self) -> int:
        """Dimension d of the representation."""
        return self.lie_algebra.shape[-1]

    @property
    def lie_dim(self) -> int:
        """Number D of Lie algebra generators (0 for finite groups)."""
        return self.lie_algebra.shape[0]

    @property
    def num_discrete(self) -> int:
        return self.discrete_generators.shape[0]

    @property
    def is_finite(self) -> bool:
        return self.order is not None

    @property
    def kind(self) -> str:
        """``product``, ``finite`` or ``continuous``."""
        if self.factors:
            return "product"
        return "finite" if self.is_finite else "continuous"

    @property
    def dtype(self) -> torch.dtype:
        return self.lie_algebra.dtype

    @property
    def device(self) -> torch.device:
        return self.lie_algebra.device

    def to(
        self, device: torch.device | str | None = None, dtype: torch.dtype | None = None
    ) -> Group:
        """The same group with its tensors on ``device`` and/or in ``dtype``."""
        return replace(
            self,
            lie_algebra=self.lie_algebra.to(device=device, dtype=dtype),
            discrete_generators=self.discrete_generators.to(device=device, dtype=dtype),
            factors=tuple(f.to(device, dtype) for f in self.factors),
            reference=self.reference or self,
        )

    def blocks(self) -> list[tuple[Group, slice]]:
        """(factor, slice of the representation) pairs; a non-product group is its own block."""
        if not self.factors:
            return [(self, slice(0, self.dim))]
        out, start = [], 0
        for factor in self.factors:
            out.append((factor, slice(start, start + factor.dim)))
            start += factor.dim
        return out

    # -- algebra ---------------------------------------------------------------------------

    def identity(self, *batch: int) -> Tensor:
        eye = torch.eye(self.dim, dtype=self.dtype, device=self.device)
        return eye.expand(*batch, self.dim, self.dim).clone()

    def exp(self, coefficients: Tensor) -> Tensor:
        """exp(sum_i a_i L_i) for coefficients (..., D); differentiable. Returns (..., d, d)."""
        if coefficients.shape[-1] != self.lie_dim:
            raise ValueError(
                f"{self.name} has {self.lie_dim} algebra generators, got coefficients "
                f"of shape {tuple(coefficients.shape)}"
            )
        if self.factors:
            return self._exp_per_factor(coefficients)
        # The algebra follows the coefficients, so a CPU catalog group serves CUDA trials.
        algebra = self.lie_algebra.to(device=coefficients.device, dtype=coefficients.dtype)
        tangent = torch.einsum("...i,ijk->...jk", coefficients, algebra)
        return torch.linalg.matrix_exp(tangent)

    def _exp_per_factor(self, coefficients: Tensor) -> Tensor:
        # Block by block: finite factors stay exactly the identity (a matrix_exp of the whole
        # sum would leave rounding noise in, say, a permutation block), and it is cheaper.
        batch = coefficients.shape[:-1]
        out = torch.zeros(
            *batch, self.dim, self.dim, dtype=coefficients.dtype, device=coefficients.device
        )
        start = 0
        for factor, span in self.blocks():
            own = coefficients[..., start : start + factor.lie_dim]
            out[..., span, span] = factor.exp(own)
            start += factor.lie_dim
        return out

    @staticmethod
    def compose(g: Tensor, h: Tensor) -> Tensor:
        """The element g h (apply h first, then g)."""
        return g @ h

    @staticmethod
    def inverse(g: Tensor) -> Tensor:
        return torch.linalg.inv(g)

    # -- finite structure ------------------------------------------------------------------

    def elements(self) -> Tensor:
        """All elements of a finite group, identity first: (|G|, d, d)."""
        if not self.is_finite:
            raise ValueError(f"{self.name} is continuous: it has no finite list of elements")
        return self.discrete_elements()

    def discrete_elements(self) -> Tensor:
        """All elements of the subgroup generated by the discrete generators, identity first."""
        return self._discrete_elements

    def discrete_order(self) -> int:
        """Order of the discrete part: |G| for finite groups, the subgroup generated by the
        discrete generators otherwise (a product multiplies its factors' discrete orders)."""
        if self.factors:
            return math.prod(f.discrete_order() for f in self.factors)
        if self.is_finite:
            return self.order
        return len(self.discrete_elements()) if self.num_discrete else 1

    @cached_property
    def _discrete_elements(self) -> Tensor:
        if self.factors:
            return _block_product([f.discrete_elements() for f in self.factors])
        source = self._enumeration_source()
        if source is not self:
            return source.discrete_elements().to(device=self.device, dtype=self.dtype)
        exact = _closure(
            self.name, self.identity().double().cpu(), self.discrete_generators.double().cpu()
        )
        return exact.to(device=self.device, dtype=self.dtype)

    def _enumeration_source(self) -> Group:
        """The reference copy when it has the same discrete generators, else this group."""
        ref = self.reference
        if ref is None or ref.discrete_generators.shape != self.discrete_generators.shape:
            return self
        same = torch.allclose(
            ref.discrete_generators.to(self.discrete_generators),
            self.discrete_generators,
            atol=1e-5,
        )
        return ref if same else self

    # -- sampling --------------------------------------------------------------------------

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        """n elements drawn with ``generator`` (same generator state, same elements).

        Finite groups: uniform. Continuous parts: coefficients uniform in
        [-range_i, range_i] per generator, or Haar-uniform where ``haar`` is set (so SO2 and
        SO3 are sampled uniformly); the result is that times a uniform discrete element.
        """
        if self.factors:
            return _block_diag([f.sample(n, generator) for f in self.factors])
        g = self.identity(n)
        if self.lie_dim:
            g = self._sample_continuous(n, generator)
        if self.num_discrete:
            g = g @ self._sample_discrete(n, generator)
        return g

    def _sample_continuous(self, n: int, generator: torch.Generator) -> Tensor:
        if self.haar:
            return _haar_rotations(self, n, generator)
        unit = _uniform(n, self.lie_dim, generator, self.dtype)
        ranges = torch.tensor(self.lie_ranges, dtype=self.dtype)
        return self.exp(((2 * unit - 1) * ranges).to(self.device))

    def _sample_discrete(self, n: int, generator: torch.Generator) -> Tensor:
        if self.discrete_sampler is not None:
            return self.discrete_sampler(n, generator).to(self.device, self.dtype)
        elements = self.discrete_elements()
        index = torch.randint(len(elements), (n,), generator=generator, device=generator.device)
        return elements[index.to(self.device)]

    # -- display ---------------------------------------------------------------------------

    def generator_names(self) -> tuple[str, ...]:
        return self.lie_names + self.discrete_names

    def records(self) -> tuple[_records.GeneratorRecord, ...]:
        """One record per generator, in ``generator_names()`` order."""
        return self.lie_records + self.discrete_records

    def summary(self) -> dict[str, object]:
        """One row of ``symsearch groups``."""
        return {
            "name": self.name,
            "kind": self.kind,
            "dim": self.dim,
            "lie_dim": self.lie_dim,
            "discrete": self.num_discrete,
            "order": self.order,
            "generators": ",".join(self.generator_names()) or "-",
            "acts_on": ",".join(sorted(self.acts_on)),
            "description": self.description,
        }

    def __repr__(self) -> str:
        order = f"order={self.order}" if self.is_finite else f"lie_dim={self.lie_dim}"
        return f"Group({self.name}, {self.domain}, d={self.dim}, {order})"


# -- helpers shared by the catalog -------------------------------------------------------------


def _uniform(n: int, k: int, generator: torch.Generator, dtype: torch.dtype) -> Tensor:
    return torch.rand(n, k, generator=generator, device=generator.device, dtype=dtype).cpu()


def _haar_rotations(group: Group, n: int, generator: torch.Generator) -> Tensor:
    """Haar-uniform SO(k) on the linear block of a homogeneous representation."""
    k = group.dim - 1
    gauss = torch.randn(n, k, k, generator=generator, device=generator.device, dtype=group.dtype)
    q, r = torch.linalg.qr(gauss.cpu())
    q = q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1)).unsqueeze(-2)
    flip = torch.linalg.det(q) < 0
    q[flip, :, 0] = -q[flip, :, 0]
    out = torch.eye(group.dim, dtype=group.dtype).repeat(n, 1, 1)
    out[:, :k, :k] = q
    return out.to(group.device)


def _keys(matrices: Tensor, offset: float) -> list[bytes]:
    """Entries rounded to a 1e-6 grid (shifted by ``offset`` cells), one key per matrix."""
    grid = torch.round(matrices.flatten(1) * 1e6 + offset).to(torch.int64).numpy()
    return grid.view(f"V{grid.shape[1] * grid.itemsize}").ravel().tolist()


class _Seen:
    """Elements found so far, keyed on two 1e-6 grids half a cell apart: a value that sits on a
    rounding boundary of one grid lies mid-cell on the other, so drift never splits an element."""

    def __init__(self, name: str) -> None:
        self.name, self.grids, self.count = name, (set(), set()), 0

    def new(self, matrices: Tensor) -> Tensor:
        """The matrices not seen before (first occurrence of each), now marked as seen."""
        fresh = []
        keys = zip(_keys(matrices, 0.0), _keys(matrices, 0.5), strict=True)
        for i, (a, b) in enumerate(keys):
            if a not in self.grids[0] and b not in self.grids[1]:
                self.grids[0].add(a)
                self.grids[1].add(b)
                fresh.append(i)
        self.count += len(fresh)
        if self.count > MAX_ELEMENTS:
            raise ValueError(f"{self.name} has more than {MAX_ELEMENTS} elements")
        return matrices[fresh]


def _closure(name: str, identity: Tensor, generators: Tensor) -> Tensor:
    """All products of ``generators``, identity first; run in float64 by the caller.

    Each generator's powers come first (by doubling, so a cyclic group of order n costs about
    log2(n) products deep, and drift stays near 1e-13); a breadth-first search then multiplies
    by the generators until nothing new appears.
    """
    seen = _Seen(name)
    seeds = [identity[None], *(_powers(identity, g) for g in generators)]
    found = [seen.new(torch.cat(seeds))]
    frontier = found[0]
    while len(frontier):
        products = (frontier[:, None] @ generators[None]).reshape(-1, *identity.shape)
        frontier = seen.new(products)
        found.append(frontier)
    return torch.cat(found)


def _powers(identity: Tensor, g: Tensor) -> Tensor:
    """g^0, g^1, ..., up to (not including) the first power back at the identity."""
    powers, step = identity[None], g
    while len(powers) <= MAX_ELEMENTS:
        more = step @ powers  # g^k .. g^(2k-1)
        back = (more - identity).abs().flatten(1).amax(dim=1) < 1e-9
        if back.any():
            return torch.cat([powers, more[: int(back.nonzero()[0])]])
        powers, step = torch.cat([powers, more]), step @ step
    return powers  # of infinite order: the search stops at MAX_ELEMENTS


def _block_diag(blocks: list[Tensor]) -> Tensor:
    """Batched block-diagonal matrix from per-factor batches (n, d_i, d_i)."""
    n = blocks[0].shape[0]
    size = sum(b.shape[-1] for b in blocks)
    out = blocks[0].new_zeros(n, size, size)
    start = 0
    for b in blocks:
        end = start + b.shape[-1]
        out[:, start:end, start:end] = b
        start = end
    return out


def _block_product(per_factor: list[Tensor]) -> Tensor:
    """All block-diagonal combinations of per-factor element lists (cartesian product)."""
    total = math.prod(len(e) for e in per_factor)
    if total > MAX_ELEMENTS:
        raise ValueError(f"product has {total} elements, more than {MAX_ELEMENTS}")
    grids = torch.meshgrid(*[torch.arange(len(e)) for e in per_factor], indexing="ij")
    return _block_diag([e[idx.reshape(-1)] for e, idx in zip(per_factor, grids, strict=True)])
