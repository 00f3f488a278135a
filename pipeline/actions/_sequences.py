"""Sequences (B, C, N): circle elements shift them cyclically, sign elements negate them.

A circle element rotating by angle 2*pi*s/N shifts by s positions: out[t] = x[t - s]. A
reflection of the circle (determinant -1, the angle 2*pi*s/N in its first column) reverses time
about s/2: out[t] = x[s - t], position k going to s - k (a user's group may hold time
reversal). Whole shifts are index moves (exact); fractional shifts use the Fourier shift theorem
(band-limited interpolation, differentiable in s).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

WHOLE_SHIFT_TOLERANCE = 1e-6


def shift_amounts(g: Tensor, length: int) -> Tensor:
    """Shift s (in positions, in (-N/2, N/2]) encoded by each circle element (B, 2, 2)."""
    angle = torch.atan2(g[:, 1, 0], g[:, 0, 0])
    return angle * length / (2 * math.pi)


def roll(x: Tensor, shifts: Tensor) -> Tensor:
    """Integer cyclic shift per batch element: out[b, :, t] = x[b, :, t - shifts[b]]."""
    length = x.shape[-1]
    positions = torch.arange(length, device=x.device)
    source = (positions[None, :] - shifts.long()[:, None]) % length  # (B, N)
    return torch.gather(x, -1, source[:, None, :].expand_as(x))


def fourier_shift(x: Tensor, shifts: Tensor) -> Tensor:
    """Fractional cyclic shift per batch element, exact on band-limited signals."""
    length = x.shape[-1]
    freqs = torch.fft.rfftfreq(length, device=x.device, dtype=x.dtype)  # cycles per sample
    angle = -2 * math.pi * freqs[None, :] * shifts[:, None].to(x.dtype)
    phase = torch.polar(torch.ones_like(angle), angle)  # exp(i angle), faster than complex exp
    return torch.fft.irfft(torch.fft.rfft(x, dim=-1) * phase[:, None, :], n=length, dim=-1)


def reverse_reflected(g: Tensor, x: Tensor) -> Tensor:
    """x[-t] where g is a reflection of the circle, x elsewhere (what is left is a shift)."""
    reflected = (g[:, 0, 0] * g[:, 1, 1] - g[:, 0, 1] * g[:, 1, 0]) < 0
    if not bool(reflected.any()):
        return x
    reversed_ = torch.roll(x.flip(-1), 1, dims=-1)  # position k -> -k (mod N)
    return torch.where(reflected.to(x.device)[:, None, None], reversed_, x)


def shift(g: Tensor, x: Tensor) -> Tensor:
    x = reverse_reflected(g, x)
    shifts = shift_amounts(g, x.shape[-1])
    whole = torch.round(shifts)
    # A whole shift read from a float32 element is off by about eps * N positions.
    tolerance = max(WHOLE_SHIFT_TOLERANCE, 8 * torch.finfo(g.dtype).eps * x.shape[-1])
    if bool(((shifts - whole).abs() < tolerance).all()):
        return roll(x, whole)
    return fourier_shift(x, shifts)


def negate(g: Tensor, x: Tensor) -> Tensor:
    return x * g.reshape(-1, 1, 1)
