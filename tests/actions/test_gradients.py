"""Gradients reach the algebra coefficients through every continuous action (for Augerino)."""

import pytest
import torch

from pipeline.actions import act
from pipeline.groups import get_group
from tests.actions.helpers import smooth_images


@pytest.mark.parametrize(
    ("name", "kind", "data"),
    [
        ("affine2", "image", smooth_images(2, 24, dtype=torch.float32)),
        ("SO2*flip", "image", smooth_images(2, 24, dtype=torch.float32)),
        ("learned3", "image", smooth_images(2, 24, dtype=torch.float32)),
        ("SO3", "points", torch.randn(2, 10, 3)),
        ("O2*S10", "points", torch.randn(2, 10, 2)),
        ("scale", "points", torch.randn(2, 10, 2)),
    ],
)
def test_gradients_wrt_coefficients_are_finite_and_non_zero(name, kind, data):
    group = get_group(name).to(dtype=torch.float32)
    rng = torch.Generator().manual_seed(0)
    coefficients = (0.2 * torch.randn(2, group.lie_dim, generator=rng)).requires_grad_()
    weights = torch.randn(data.shape, generator=rng)
    loss = (act(group, group.exp(coefficients), data, kind) * weights).sum()
    loss.backward()
    grad = coefficients.grad
    assert torch.isfinite(grad).all()
    assert (grad.abs() > 1e-6).all(), f"some generator gets no gradient: {grad}"


def test_fractional_shifts_are_differentiable():
    from pipeline.actions._sequences import fourier_shift

    x = torch.randn(2, 1, 16)
    shifts = torch.tensor([0.4, -1.3], requires_grad=True)
    (fourier_shift(x, shifts) * torch.randn(2, 1, 16)).sum().backward()
    assert torch.isfinite(shifts.grad).all() and (shifts.grad.abs() > 1e-6).all()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize(
    ("name", "kind", "shape"),
    [
        ("affine2", "image", (4, 1, 16, 16)),
        ("SO3*S5", "points", (4, 5, 3)),
        ("shift8*flip", "sequence", (4, 2, 8)),
        ("T2*D4*flip", "lattice", (4, 6, 6)),
    ],
)
def test_actions_run_on_cuda_and_match_cpu(name, kind, shape):
    group = get_group(name)
    g = group.sample(4, torch.Generator().manual_seed(0))
    x = torch.randn(shape)
    on_cpu = act(group, g, x, kind)
    on_gpu = act(group.to("cuda"), g.cuda(), x.cuda(), kind)
    assert on_gpu.device.type == "cuda"
    assert torch.allclose(on_gpu.cpu(), on_cpu, atol=1e-4)
