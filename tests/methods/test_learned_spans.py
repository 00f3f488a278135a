"""Learned spans (pipeline.methods.learned_spans.learned_span): rank, principal angles and
closure under the bracket, compared with the true algebra."""

import math

import pytest
import torch

from pipeline.groups import get_group
from pipeline.methods.augment import LearnableAugmentation
from pipeline.methods.learned_spans import learned_matrices, learned_span

SO3 = get_group("SO3").lie_algebra.to(torch.float32)  # rx, ry, rz in 4x4 homogeneous form


def learned(matrices, domain="space"):
    """A learned<k> augmentation whose basis is set to ``matrices``."""
    group = get_group(f"learned{len(matrices)}", learned_domain=domain).to(dtype=torch.float32)
    aug = LearnableAugmentation(group, "points")
    with torch.no_grad():
        aug.basis.copy_(torch.stack(list(matrices)))
    return aug


def span(matrices, true="SO3", active=None):
    aug = learned(matrices)
    return learned_span(aug, get_group(true), active or [True] * len(matrices))


def test_a_rotated_basis_of_the_whole_algebra_matches_it():
    q, _ = torch.linalg.qr(torch.randn(3, 3, generator=torch.Generator().manual_seed(0)))
    mixed = torch.einsum("ij,jkl->ikl", q, SO3)  # another basis of so(3)
    found = span(mixed)
    assert (found.rank, found.true_dim) == (3, 3) and found.matches(0.999)
    assert found.cosine == pytest.approx(1.0, abs=1e-6)
    assert found.closure_residual == pytest.approx(0.0, abs=1e-6)


def test_copies_add_no_dimension_and_a_missing_dimension_has_cosine_zero():
    found = span([SO3[0], 2 * SO3[0], SO3[1]])
    assert found.rank == 2 and found.cosine == 0.0 and not found.matches(0.5)


def test_two_rotation_axes_do_not_close_under_the_bracket():
    # [rx, ry] = rz: with the orthonormal basis rx/sqrt2, ry/sqrt2 the bracket is rz/2, whose
    # Frobenius norm sqrt(2)/2 lies wholly outside the span.
    found = span([SO3[0], SO3[1]])
    assert found.closure_residual == pytest.approx(math.sqrt(2) / 2, rel=1e-5)


def test_only_active_generators_span_and_inactive_ones_are_left_out():
    found = span([SO3[0], SO3[1], SO3[2]], active=[True, False, False])
    assert (found.rank, found.closure_residual) == (1, 0.0) and not found.matches(0.9)
    nothing = span([SO3[0]], true="trivial", active=[False])
    assert (nothing.rank, nothing.true_dim, nothing.cosine) == (0, 0, 1.0) and nothing.matches(0.9)


def test_fixed_candidates_have_no_learned_span_or_matrices():
    aug = LearnableAugmentation(get_group("affine2").to(dtype=torch.float32), "image")
    assert learned_span(aug, get_group("SO2"), [True] * 6) is None
    assert learned_matrices(aug) == [None] * 6
