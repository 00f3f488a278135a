"""Directions of the candidate's algebra proposed from the data, each tested like a generator.

A symmetry along a combination of generators (a horizontal shear x' = x + s y is half rotation,
half symmetric shear inside affine2) moves the data along no basis generator: each of them reads
absent. So, beside the basis, the test examines a few directions L = sum_i c_i L_i proposed from
the *training split* (the held-out splits that score the test never inform the proposal, so the
test's level stands): the directions along which the data vary most per unit of movement, the
generalized eigenvectors of the tangent-spread forms of ``methods.learned_start`` (class-
conditional covariances of the data along the tangent actions, computed through ``act``).

Each proposal is normalized to a unit Frobenius norm (so its coefficient is the matrix's own
scale: a horizontal shear by s reads s) and given a natural range that moves the data as far as
the basis generator that moves them least over its natural range (the grid is then at least as
fine as the basis' finest: a shear's, not a rotation's); all proposals are then tested as the
algebra generators (``dir1``, ``dir2``) of one group through ``_test.measure``, one reader.
Their verdicts join the basis' in one Holm family (``_decide``), so the extra tests count in the
family-wise error. A proposal within cosine REDUNDANT of a basis generator is dropped: the basis
already tests it, and so is one that spreads the data hardly more than the most spread basis
generator (SPREAD_GAIN). Cost, where a proposal is left: one more reader (about half the
basis' training time for a five-generator group), only for candidates with at least two algebra
generators in one block.
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import Tensor

from pipeline.data import Dataset
from pipeline.discovery._test import measure
from pipeline.groups import OTHER_LIE, Group
from pipeline.kinds import kind_record
from pipeline.methods.learned_start import most_spread, spread_forms, tangent_actions

DIRECTIONS = 2  # proposals tested by default (candidates with >= 2 algebra generators)
SNAP = 0.25  # a proposal's matrix entries below this share of its largest are estimation noise
REDUNDANT = 0.9  # |cosine| to a basis generator above which a proposal adds nothing
# A proposal must spread the data (variance per unit of movement) this much more than the most
# spread basis generator, else that generator explains the spread and its test covers it.
# Measured on 20 x 20 digits: a horizontal shear within +-0.5 gives 1.17 (its basis neighbour,
# the symmetric shear, 1.49 against 1.74); upright digits and random 64 x 64 images 1.01-1.06.
SPREAD_GAIN = 1.1
SAMPLE_NUMBERS = 4_000_000  # inputs x input size used for the forms (memory: float64 tangents)
MAX_SAMPLES = 512


def direction_count(group: Group, requested: int | None) -> int:
    """Proposals to test: ``requested``, or DIRECTIONS where one block has two or more algebra
    generators (fixed, not learned); 0 otherwise."""
    if requested is not None:
        return max(0, requested)
    block = _widest_block(group)
    return DIRECTIONS if block is not None and block.lie_dim >= 2 else 0


def _widest_block(group: Group) -> Group | None:
    """The fixed block with the most algebra generators (None for learned candidates)."""
    if group.learnable:
        return None
    blocks = [factor for factor, _ in group.blocks() if not factor.learnable]
    return max(blocks, key=lambda f: f.lie_dim, default=None)


def direction_verdicts(dataset: Dataset, group: Group, config, device) -> list:
    """Verdicts (undecided: ``_decide`` rules on them with the basis) for the proposed
    directions of ``group``, named dir1, dir2..., each with its ``matrix``; [] when none."""
    count = direction_count(group, config.directions)
    block = _widest_block(group)
    if count == 0 or block is None or block.lie_dim < 2 or kind_record(dataset.kind).whole_sites:
        return []
    rng = torch.Generator().manual_seed(config.seed + 7919)  # apart from the basis' stream
    matrices, ranges = propose(dataset, block, count, rng)
    if not matrices:
        return []
    candidate = direction_group(block, matrices, ranges)
    verdicts = measure(dataset, candidate, replace(config, directions=0), device).verdicts
    for verdict, matrix in zip(verdicts, matrices, strict=True):
        verdict.present, verdict.note, verdict.matrix = False, None, matrix
        verdict.extent_error = None
    return verdicts


def propose(
    dataset: Dataset, block: Group, count: int, rng: torch.Generator
) -> tuple[list[Tensor], list[float]]:
    """Up to ``count`` unit-Frobenius matrices in ``block``'s algebra along which the training
    data spread most per unit of movement, with natural ranges; redundant ones dropped."""
    x, labels = _training_sample(dataset, rng)
    basis = block.lie_algebra.to(torch.float64)
    tangents = tangent_actions(block.to(device="cpu", dtype=torch.float64), dataset.kind, x, basis)
    v, p = spread_forms(x.flatten(1), tangents, labels)
    coefficients = most_spread(v, p, min(count, len(basis)))
    reach = torch.tensor(block.lie_ranges, dtype=torch.float64) * p.diagonal().clamp(min=0).sqrt()
    shortest = float(reach.min())  # how far the shortest-reaching basis generator moves the data
    basis_spread = float((v.diagonal() / p.diagonal().clamp(min=1e-300)).max())
    matrices, ranges = [], []
    for c in coefficients:
        c = _snapped(c, basis)
        matrix = torch.einsum("m,mij->ij", c, basis)
        scale = float(matrix.norm())
        spread = float(c @ v @ c) / max(float(c @ p @ c), 1e-300)
        if scale == 0.0 or _redundant(matrix, basis) or spread < SPREAD_GAIN * basis_spread:
            continue
        c, matrix = c / scale, matrix / scale
        movement = float(c @ p @ c) ** 0.5  # data displacement per unit coefficient
        matrices.append(matrix.to(torch.float32))
        ranges.append(shortest / movement if movement > 0 else 1.0)
    return matrices, ranges


def _snapped(c: Tensor, basis: Tensor) -> Tensor:
    """The coefficients of the proposal's matrix with its entries below SNAP of the largest set
    to zero (projected back onto the algebra). The spread forms are estimated from a few hundred
    inputs, and their noise leaves small entries everywhere; a small entry is not a small
    change where the data are sharp (a horizontal shear of rendered shapes proposed with a
    stretch of 0.09 beside its 0.99 read TV 0.77 at the first step, the exact shear 0.18)."""
    matrix = torch.einsum("m,mij->ij", c, basis)
    kept = torch.where(matrix.abs() >= SNAP * matrix.abs().max(), matrix, torch.zeros_like(matrix))
    flat = basis.flatten(1)
    snapped = torch.linalg.lstsq(flat.T, kept.flatten()[:, None]).solution[:, 0]
    return snapped if float(torch.einsum("m,mij->ij", snapped, basis).norm()) > 0 else c


def _training_sample(dataset: Dataset, rng: torch.Generator) -> tuple[Tensor, Tensor | None]:
    """Training inputs (never the held-out splits) and their labels where classes exist."""
    inputs = dataset.train.inputs
    size = max(1, inputs[0].numel())
    limit = max(32, min(MAX_SAMPLES, SAMPLE_NUMBERS // size))
    index = torch.randperm(len(inputs), generator=rng)[:limit]
    labelled = dataset.task == "classification" and dataset.num_classes
    labels = dataset.train.targets[index].long().flatten() if labelled else None
    return inputs[index].to(torch.float64), labels


def _redundant(matrix: Tensor, basis: Tensor) -> bool:
    """Within cosine REDUNDANT of one basis generator (Frobenius inner product)."""
    flat, rows = matrix.flatten(), basis.flatten(1)
    cosines = (rows @ flat).abs() / (rows.norm(dim=1) * flat.norm()).clamp(min=1e-300)
    return bool((cosines >= REDUNDANT).any())


def direction_group(block: Group, matrices: list[Tensor], ranges: list[float]) -> Group:
    """One group whose algebra generators are the proposals, acting as ``block`` does."""
    names = tuple(f"dir{i + 1}" for i in range(len(matrices)))
    return replace(
        block,
        name=f"{block.name}[{','.join(names)}]",
        lie_algebra=torch.stack(matrices).to(block.dtype),
        discrete_generators=block.discrete_generators[:0],
        generator_orders=(),
        order=None,
        lie_names=names,
        lie_ranges=tuple(ranges),
        discrete_names=(),
        factors=(),
        haar=False,
        discrete_sampler=None,
        description=f"directions of {block.name}'s algebra proposed from the data",
        lie_records=(OTHER_LIE,) * len(matrices),
        discrete_records=(),
        reference=None,
    )
