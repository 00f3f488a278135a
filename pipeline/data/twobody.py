"""Two gravitating bodies: state now -> state a moment later, an O2-equivariant regression.

A state is four planar vectors (B, 4, 2): positions q1, q2 and velocities v1, v2, with the centre
of mass at rest at the origin. Rotating or mirroring a state rotates or mirrors its future, so the
target function is O2-equivariant (so(2) generator I4 (x) J on the flattened state, as in SEMoLA's
two-body task; Newtonian gravity is mirror-symmetric too). The masses differ, so swapping the
bodies is not a symmetry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from pipeline.actions import act
from pipeline.data._base import Dataset, check_range
from pipeline.groups import get_group

MASSES = (1.0, 0.5)
SOFTENING = 0.05  # keeps close encounters finite; the force stays central, so still equivariant


@dataclass(frozen=True)
class TwoBodyOptions:
    n_samples: int = 1000
    dt: float = 0.5  # time between the input and the target state
    steps: int = 50  # RK4 substeps over dt
    transform: Literal["rotate", "none"] = "rotate"  # random orientation, or first body on -x

    def __post_init__(self) -> None:
        check_range("n_samples", self.n_samples, 10, 100_000)
        check_range("dt", self.dt, 1e-3, 10)
        check_range("steps", self.steps, 1, 10_000)


def _derivative(state: Tensor) -> Tensor:
    q1, q2, v1, v2 = state.unbind(dim=-2)
    r = q2 - q1
    inv = (r.pow(2).sum(-1, keepdim=True) + SOFTENING**2).pow(-1.5)
    a1, a2 = MASSES[1] * r * inv, -MASSES[0] * r * inv
    return torch.stack([v1, v2, a1, a2], dim=-2)


def simulate(states: Tensor, dt: float = 0.5, steps: int = 50) -> Tensor:
    """Advance states (B, 4, 2) by dt with classical RK4 (computed in float64)."""
    x, h = states.to(torch.float64), dt / steps
    for _ in range(steps):
        k1 = _derivative(x)
        k2 = _derivative(x + h / 2 * k1)
        k3 = _derivative(x + h / 2 * k2)
        k4 = _derivative(x + h * k3)
        x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x.to(states.dtype)


def initial_states(n: int, rng: torch.Generator) -> Tensor:
    """Bound, mostly elliptic orbits with separation 0.5..1.5, oriented along +x."""
    m1, m2 = MASSES
    total = m1 + m2
    distance = 0.5 + torch.rand(n, generator=rng, dtype=torch.float64)
    circular = (total / distance).sqrt()
    tangential = circular * (0.6 + 0.5 * torch.rand(n, generator=rng, dtype=torch.float64))
    radial = 0.2 * circular * (2 * torch.rand(n, generator=rng, dtype=torch.float64) - 1)
    r = torch.stack([distance, torch.zeros(n, dtype=torch.float64)], dim=1)
    v = torch.stack([radial, tangential], dim=1)
    return torch.stack([-m2 / total * r, m1 / total * r, -m2 / total * v, m1 / total * v], dim=1)


def build(options: TwoBodyOptions, seed: int) -> Dataset:
    rng = torch.Generator().manual_seed(seed)
    states = initial_states(options.n_samples, rng)
    if options.transform == "rotate":
        group = get_group("O2")
        states = act(group, group.sample(options.n_samples, rng), states, "points")
    future = simulate(states, options.dt, options.steps)
    return Dataset.from_tensors(
        states.float(),
        future.float(),
        seed,
        name="twobody",
        kind="points",
        task="regression",
        metric="mse",
        metric_mode="min",
        true_group="O2",
        target_kind="points",
        options=vars(options),
    )
