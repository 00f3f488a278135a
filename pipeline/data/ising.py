"""Periodic L x L Ising lattices: energy regression, or antiferromagnet ground states.

Energy per site of spins s in {-1, +1}: E/N = -(J/N) sum_<ij> s_i s_j - (h/N) sum_i s_i over the
2N nearest-neighbour bonds. With no field it is invariant under lattice translations, 90-degree
rotations and reflections, and the global spin flip (true group ``T2*D4*flip``); a field breaks
the flip (``T2*D4``).

``task: ground_state`` is SymPE's symmetry-breaking test: the input is the all-zero lattice
(symmetric under everything) and the answer is an antiferromagnet ground state (J = -1): a
checkerboard, energy per site -2. Any equivariant deterministic map sends the symmetric input to
a translation-invariant, hence uniform, output: energy per site +2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from pipeline.data._base import Dataset, check_range


@dataclass(frozen=True)
class IsingOptions:
    size: int = 8
    n_samples: int = 1000
    task: Literal["energy", "ground_state"] = "energy"
    coupling: float = 1.0  # J > 0: ferromagnet (energy task)
    field: float = 0.0  # h != 0 breaks the spin-flip symmetry

    def __post_init__(self) -> None:
        check_range("size", self.size, 2, 256)
        check_range("n_samples", self.n_samples, 10, 100_000)
        check_range("field", self.field, -10, 10)
        check_range("coupling", self.coupling, -10, 10)
        if self.task == "ground_state" and (self.field != 0 or self.coupling != 1.0):
            raise ValueError("field and coupling apply to task=energy only")


def energy_per_site(spins: Tensor, coupling: float = 1.0, field: float = 0.0) -> Tensor:
    """E/N for lattices (B, L, L); works for relaxed spins in [-1, 1] too."""
    bonds = spins * (spins.roll(1, dims=-1) + spins.roll(1, dims=-2))
    sites = spins.shape[-1] * spins.shape[-2]
    return -(coupling * bonds.sum((-1, -2)) + field * spins.sum((-1, -2))) / sites


def checkerboard(size: int, phase: Tensor) -> Tensor:
    """Checkerboards (B, L, L) with the given +-1 phase per sample."""
    i = torch.arange(size)
    board = 1.0 - 2.0 * ((i[:, None] + i[None, :]) % 2)
    return phase.float().reshape(-1, 1, 1) * board


def _random_spins(options: IsingOptions, rng: torch.Generator) -> Tensor:
    # A bias per sample spreads magnetizations (and so energies) from ordered to random.
    n, size = options.n_samples, options.size
    bias = torch.rand(n, 1, 1, generator=rng)
    return torch.where(torch.rand(n, size, size, generator=rng) < bias, 1.0, -1.0)


def build(options: IsingOptions, seed: int) -> Dataset:
    rng = torch.Generator().manual_seed(seed)
    true_group = "T2*D4*flip" if options.field == 0 else "T2*D4"
    if options.task == "energy":
        spins = _random_spins(options, rng)
        targets = energy_per_site(spins, options.coupling, options.field)
        metric, mode, task, target_kind = "mse", "min", "regression", None
    else:
        spins = torch.zeros(options.n_samples, options.size, options.size)
        phase = torch.randint(0, 2, (options.n_samples,), generator=rng) * 2 - 1
        targets = checkerboard(options.size, phase)
        metric, mode, task, target_kind = "energy_per_site", "min", "generation", "lattice"
        true_group = "T2*D4*flip"  # the antiferromagnet's energy has the full symmetry
    return Dataset.from_tensors(
        spins,
        targets,
        seed,
        name="ising",
        kind="lattice",
        task=task,
        metric=metric,
        metric_mode=mode,
        true_group=true_group,
        target_kind=target_kind,
        options=vars(options),
    )
