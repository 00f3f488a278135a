"""Moving data along the test's probes: inputs with their targets, on both arms alike.

- Images moved along a rotation go through the band-limited rotation of ``_resample`` (both
  arms prepared alike; the reference arm is moved by the same element and back), and images
  moved along a translation through its band-limited shift (both arms low-passed alike; the
  reference arm is not moved). Any other continuous image move is a bilinear warp in two halves
  on both arms, each after a random sub-pixel translation (``_warp_in_halves``); discrete ones
  one jittered warp.
- Targets move with their inputs (``Dataset.act_targets``): equivariant targets by the same
  element, invariant ones not at all. The reader sees them as its condition.
- The marker: a fixed random pattern added to some training inputs and to the positive
  control's inputs, a non-invariance injected along every generator (see ``_test``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from pipeline.actions import act
from pipeline.data import Dataset
from pipeline.discovery._probes import Probe
from pipeline.discovery._resample import prepare, rotate, translate
from pipeline.groups import Group
from pipeline.kinds import kind_record

CONDITION_DIM = 16  # larger targets are projected to this many numbers
MARKER_SCALE = 2.0  # the marker's size, in the inputs' own scale


class Conditioner:
    """What the reader sees beside x: the label (one-hot), or the standardized targets (moved
    with x when equivariant; a fixed random projection to CONDITION_DIM numbers when larger)."""

    def __init__(self, dataset: Dataset, seed: int):
        self.classes = dataset.num_classes if dataset.task == "classification" else None
        train = dataset.train.targets.reshape(len(dataset.train), -1).float()
        self.mean, self.std = train.mean(0), train.std(0).clamp_min(1e-8)
        self.projection = None
        if train.shape[1] > CONDITION_DIM:
            rng = torch.Generator().manual_seed(seed)
            self.projection = torch.randn(train.shape[1], CONDITION_DIM, generator=rng) / math.sqrt(
                train.shape[1]
            )

    @property
    def size(self) -> int:
        if self.classes:
            return self.classes
        return CONDITION_DIM if self.projection is not None else len(self.mean)

    def __call__(self, targets: Tensor) -> Tensor:
        n = len(targets)
        if self.classes:
            return F.one_hot(targets.long().reshape(n), self.classes).float()
        flat = targets.reshape(n, -1).float() - self.mean.to(targets.device)
        flat = flat / self.std.to(targets.device)
        return flat if self.projection is None else flat @ self.projection.to(targets.device)


class Mover:
    """Moves batches (inputs, targets) along probes."""

    def __init__(self, dataset: Dataset, group: Group, found: list[Probe], device: torch.device):
        self.dataset, self.group, self.probes, self.device = dataset, group, found, device
        self.kind = dataset.kind
        self.interpolated = kind_record(dataset.kind).interpolated  # image moves resample
        self.tables = [
            torch.stack([torch.linalg.matrix_power(p.element, k) for k in p.bin_powers])
            for p in found
        ]
        self.plane = next(
            (span for factor, span in group.blocks() if factor.domain == "plane"), None
        )
        self.band_limited = [self._turns_images(p) for p in found]
        self.translated = [self._translates_images(p) for p in found]
        # Other continuous moves of images warp bilinearly, in two halves on both arms (see
        # ``move``): per probe, the half elements of its bins (None where not split).
        self.halves = [
            self._half_table(p) if self.interpolated and not (turned or shifted) else None
            for p, turned, shifted in zip(found, self.band_limited, self.translated, strict=True)
        ]
        # The reference arm is moved by the step and back (it depends on the step).
        self.paired = [
            t or s or h is not None
            for t, s, h in zip(self.band_limited, self.translated, self.halves, strict=True)
        ]

    def _half_table(self, probe: Probe) -> Tensor | None:
        """exp(k s L / 2) for the bins' powers k of a continuous probe's element exp(s L)."""
        if probe.mode == "discrete" or probe.direction is None:
            return None
        step = (
            2 * math.pi / probe.limit
            if probe.mode == "periodic"
            else probe.steps[0] / probe.powers[0]
        )
        amounts = torch.tensor(probe.bin_powers, dtype=probe.direction.dtype) * (step / 2)
        return self.group.exp(amounts[:, None] * probe.direction)

    def _plane_block(self, probe: Probe) -> Tensor | None:
        """The plane block of an image probe's element that moves nothing but the plane
        (identity elsewhere), else None."""
        if not self.interpolated or self.plane is None or probe.element is None:
            return None
        element, span = probe.element, self.plane
        rest = element.clone()
        rest[span, span] = torch.eye(span.stop - span.start, dtype=element.dtype)
        if not torch.allclose(rest, torch.eye(len(rest), dtype=rest.dtype)):
            return None
        return element[span, span]

    def _turns_images(self, probe: Probe) -> bool:
        """Square images and a probe that only turns the plane: the band-limited path."""
        shape = self.dataset.train.inputs.shape
        block = self._plane_block(probe)
        if block is None or probe.mode != "periodic" or shape[-1] != shape[-2]:
            return False
        return bool(torch.allclose(block[:2, 2], torch.zeros(2, dtype=block.dtype)))

    def _translates_images(self, probe: Probe) -> bool:
        """A continuous probe that only translates images: the band-limited shift."""
        block = self._plane_block(probe)
        if block is None or probe.mode == "discrete":
            return False
        eye = torch.eye(2, dtype=block.dtype)
        return bool(block[:2, 2].abs().max() > 0) and bool(torch.allclose(block[:2, :2], eye))

    def _shift(self, images: Tensor, g: Tensor | None) -> Tensor:
        """Images low-passed and moved by the translations of ``g`` (None: not moved)."""
        return translate(images, None if g is None else self._pixels(g, images))

    def _pixels(self, g: Tensor, images: Tensor) -> Tensor:
        """The translations of ``g`` in pixels (x, y); the plane's unit is half the shorter
        side (``pipeline.actions``' isotropic coordinates)."""
        return g[:, self.plane, self.plane][:, :2, 2] * min(images.shape[-2:]) / 2

    def elements(self, probe: int, amounts: Tensor) -> Tensor:
        """Coefficients t (floats) or bin indices (integers) as group elements."""
        if not amounts.is_floating_point():
            return self.tables[probe][amounts.long()]
        return self.group.exp(amounts.float()[:, None] * self.probes[probe].direction)

    def move(
        self,
        probe: int,
        amounts: Tensor,
        x: Tensor,
        y: Tensor,
        rng: torch.Generator,
        back: bool = False,
    ) -> tuple[Tensor, Tensor]:
        """Move (x, y) along ``probe`` by ``amounts``; ``back``: by them and back again (the
        reference arm of a band-limited rotation: the same resampling, no move)."""
        g = self.elements(probe, amounts)
        if self.translated[probe]:
            x = self._shift(x, None if back else g)  # a move and back: not moved
        elif self.band_limited[probe]:
            x = self._turn(prepare(x), g)
            if back:
                x = self._turn(x, torch.linalg.inv(g))
        elif self.halves[probe] is not None:
            x = self._warp_in_halves(probe, amounts, x, back, rng)
        else:
            if self.interpolated:
                g = g @ _jitter(self.group, len(x), min(x.shape[-2:]), rng)
            x = act(self.group, g.to(self.device), x, self.kind)
        if not back:
            y = self.dataset.act_targets(self.group, g.to(self.device), y)
        return x, y

    def arm(
        self, probe: int, j: int, x: Tensor, y: Tensor, moved: bool, rng: torch.Generator
    ) -> tuple[Tensor, Tensor]:
        """x moved by +-step j, or its reference arm: moved by the same step and back where
        the reference arm is paired (band-limited turns, warps in halves), else moved by
        nothing through the same jittered warp."""
        if moved or self.paired[probe]:
            amounts = self.step(probe, j, len(x), rng)
        else:
            amounts = torch.zeros(len(x)).long()
        return self.move(probe, amounts, x, y, rng, back=not moved)

    def _warp_in_halves(
        self, probe: int, amounts: Tensor, x: Tensor, back: bool, rng: torch.Generator
    ) -> Tensor:
        """x warped by h then by h (moved: g = h h) or by h then h^-1 (the reference arm), h the
        half element, each warp after a random sub-pixel translation. A bilinear warp blurs by
        an amount and pattern that depend on the move; a reference arm that is not warped, or
        warped by a sub-pixel translation only, is sharper than the moved arm, and a reader
        tells the blur (digits sheared by +-0.5 read as unsheared). Here both arms pass through
        two warps of equal magnitude, so they differ by the move, not by its resampling."""
        if amounts.is_floating_point():
            half = self.group.exp(amounts.float()[:, None] / 2 * self.probes[probe].direction)
        else:
            half = self.halves[probe][amounts.long()]
        return self._warp_twice(half.to(x.dtype), x, back, rng)

    def _warp_twice(self, half: Tensor, x: Tensor, back: bool, rng: torch.Generator) -> Tensor:
        """x warped by ``half`` (per input) and again by it, or by its inverse (``back``)."""
        side = min(x.shape[-2:])
        second = torch.linalg.inv(half) if back else half
        for element in (half, second):
            moved = element @ _jitter(self.group, len(x), side, rng).to(element.dtype)
            x = act(self.group, moved.to(self.device), x, self.kind)
        return x

    def move_batch(
        self, moves: dict[int, tuple[Tensor, Tensor]], x: Tensor, y: Tensor, rng: torch.Generator
    ) -> tuple[Tensor, dict[int, Tensor]]:
        """A training batch: per probe p, the rows ``moves[p][0]`` of (x, y) moved by the
        amounts ``moves[p][1]``; the moved inputs and each probe's moved targets. The rows of
        every probe warped in halves (by bins) share the two warps: at a training batch's size a
        warp costs mostly per call, and a group such as affine2 has five such probes."""
        moved, targets, shared = x.clone(), {}, []
        for p, (rows, amounts) in moves.items():
            if self.halves[p] is None or amounts.is_floating_point():
                moved[rows], targets[p] = self.move(p, amounts, x[rows], y[rows], rng)
                continue
            element = self.elements(p, amounts).to(self.device)
            targets[p] = self.dataset.act_targets(self.group, element, y[rows])
            shared.append((rows, self.halves[p][amounts.long()]))
        if shared:
            rows = torch.cat([r for r, _ in shared])
            half = torch.cat([h for _, h in shared]).to(x.dtype)
            moved[rows] = self._warp_twice(half, x[rows], False, rng)
        return moved, targets

    def _turn(self, images: Tensor, g: Tensor) -> Tensor:
        block = g[:, self.plane, self.plane]
        angles = torch.atan2(block[:, 1, 0], block[:, 0, 0]).to(images.device, images.dtype)
        return rotate(images, angles)

    def draw(self, probe: int, n: int, rng: torch.Generator) -> Tensor:
        """Training amounts: for rotations angles over the whole turn (the bins learn 15-degree
        sectors from every angle); otherwise uniform bins (grid points: the reader learns the
        test's own question, how likely x is moved by +-k steps against unmoved)."""
        spec = self.probes[probe]
        if spec.mode == "periodic":
            return (2 * torch.rand(n, generator=rng) - 1) * math.pi
        return torch.randint(len(spec.bin_powers), (n,), generator=rng)

    def step(self, probe: int, j: int, n: int, rng: torch.Generator) -> Tensor:
        """Amounts of +-(grid step j), signs at random."""
        spec = self.probes[probe]
        sign = torch.randint(2, (n,), generator=rng) * 2 - 1
        bins = torch.tensor([spec.bin_of(spec.power(j)), spec.bin_of(-spec.power(j))])
        return bins[(sign < 0).long()]


def _jitter(group: Group, n: int, side: int, rng: torch.Generator) -> Tensor:
    """Translations by up to half a pixel in the group's plane block (identity elsewhere)."""
    out = torch.eye(group.dim).expand(n, -1, -1).clone()
    for factor, span in group.blocks():
        if factor.domain == "plane":
            offsets = (2 * torch.rand(n, 2, generator=rng) - 1) / side  # a pixel is 2/side
            out[:, span.start : span.start + 2, span.start + 2] = offsets
    return out


def marker(inputs: Tensor, kind: str, seed: int) -> Tensor:
    """A fixed pattern of one input's shape that no generator of a catalog group leaves in
    place: for point sets an offset of the first point by MARKER_SCALE times the points' RMS
    norm (a dense pattern of that size spoiled the reading of point sets' tilts), otherwise a
    random pattern of MARKER_SCALE standard deviations of the inputs (images: band-limited and
    within the rotation window). A dense pattern moved by one step no longer matches itself,
    which even a briefly trained reader sees (a bump moved by one position still overlaps
    itself: readers trained 10 epochs on 180 sequences did not place it)."""
    rng = torch.Generator().manual_seed(seed + 7919)
    shape, values = inputs.shape[1:], inputs.float()
    record = kind_record(kind)
    if record.coordinates:
        pattern = torch.zeros(shape)
        direction = torch.tensor([1.0, 0.5, 0.25])[: shape[-1]]
        norm = float(values.pow(2).sum(-1).mean().sqrt()) or 1.0
        pattern[0] = MARKER_SCALE * norm * direction / direction.norm()
        return pattern
    pattern = torch.randn(shape, generator=rng)
    if record.interpolated and shape[-1] == shape[-2] and shape[-1] >= 8:
        pattern = prepare(pattern[None])[0]
    return pattern * MARKER_SCALE * (float(values.std()) or 1.0) / float(pattern.std())
