"""Finite groups enumerate to their order in float32 and float64, and sample uniformly."""

import math

import pytest
import torch
from scipy.stats import chisquare

from pipeline.groups import MAX_ELEMENTS, get_group

# Finite catalog groups up to order 4096: every family, small and large parameters, products.
SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 32, 60, 64, 100, 128, 360, 1000, 1024, 4096]
FINITE = [
    "trivial",
    "flip",
    "S1",
    "S2",
    "S3",
    "S4",
    "S5",
    "S6",
    *(f"C{n}" for n in SIZES),
    *(f"shift{n}" for n in SIZES),
    *(f"D{n}" for n in SIZES if 2 * n <= 4096),
    "C4*flip",
    "D8*flip",
    "shift32*flip",
    "S4*flip",
    "C4*D4",
    "C6*D4",
    "C3*C5*shift7",
]
# Continuous groups whose discrete part is finite: it is enumerated and sampled the same way.
DISCRETE_PARTS = {"O2": 2, "O3": 2, "T2*D4": 8, "T2*C4*D4": 8, "SO2*shift32": 32}
DTYPES = [torch.float32, torch.float64]


def _nearest(samples: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Index of the reference element nearest to each sample (chunked cdist)."""
    flat = reference.flatten(1).to(torch.float64)
    out = [
        torch.cdist(chunk.flatten(1).to(torch.float64), flat).argmin(dim=1)
        for chunk in samples.split(8192)
    ]
    return torch.cat(out)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", FINITE)
def test_finite_groups_list_each_element_once_in_either_precision(name, dtype):
    group = get_group(name).to(dtype=dtype)
    elements = group.elements()
    assert len(elements) == group.order
    assert elements.dtype == dtype
    assert torch.equal(elements[0], torch.eye(group.dim, dtype=dtype))
    # All distinct beyond rounding (elements of these groups lie >= 2e-3 apart).
    coarse = torch.round(elements.flatten(1).to(torch.float64) * 1e4)
    assert len(torch.unique(coarse, dim=0)) == group.order


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "order"), DISCRETE_PARTS.items())
def test_discrete_parts_of_continuous_groups_have_their_true_order(name, order, dtype):
    group = get_group(name).to(dtype=dtype)
    assert len(group.discrete_elements()) == order
    assert group.discrete_order() == order


def test_discrete_order_of_products_counts_whole_factors():
    assert get_group("SO2*S32").discrete_order() == math.factorial(32)
    assert get_group("SO3*S5").discrete_order() == 120
    assert get_group("D4*flip").discrete_order() == 16


def test_large_cyclic_groups_do_not_hit_the_enumeration_limit():
    assert len(get_group("shift4096").to(dtype=torch.float32).elements()) == 4096 < MAX_ELEMENTS


UNIFORM = ["shift32", "shift128", "shift360", "D32", "C4*flip", "S4", "shift32*flip", "C60"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", UNIFORM)
def test_sampling_a_finite_group_is_uniform(name, dtype):
    exact = get_group(name)
    group = exact.to(dtype=dtype)
    per_element = 40
    samples = group.sample(per_element * exact.order, torch.Generator().manual_seed(0))
    counts = torch.bincount(_nearest(samples, exact.elements()), minlength=exact.order)
    assert (counts > 0).all(), f"{int((counts == 0).sum())} elements never drawn"
    assert chisquare(counts.numpy()).pvalue > 1e-3


@pytest.mark.parametrize("name", ["T2*D4", "SO2*shift32"])
def test_sampling_the_discrete_part_is_uniform(name):
    exact = get_group(name)
    group = exact.to(dtype=torch.float32)
    reference = exact.discrete_elements()
    samples = group._sample_discrete(40 * len(reference), torch.Generator().manual_seed(0))
    counts = torch.bincount(_nearest(samples, reference), minlength=len(reference))
    assert chisquare(counts.numpy()).pvalue > 1e-3


def test_sympe_breaks_ties_uniformly_over_shifts():
    # An all-zero sequence ties every shift: the canonicalizer draws among all 32 of them.
    from pipeline.methods.sympe import SymPE

    exact = get_group("shift32")
    sympe = SymPE(torch.nn.Identity(), exact, "sequence", (1, 32), seed=0)
    chosen = sympe.canonicalize(torch.zeros(32 * 40, 1, 32))
    counts = torch.bincount(_nearest(chosen, exact.elements()), minlength=32)
    assert chisquare(counts.numpy()).pvalue > 1e-3
