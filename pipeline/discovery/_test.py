"""The per-generator discovery test: a classifier two-sample test along each generator.

For a generator L and a grid step t, sample A is held-out data (the reference arm) and sample B
held-out data moved by exp(+-t L) (a C2ST, Lopez-Paz & Oquab 2017). Targets move with their
inputs (equivariant targets by the same element; ``_mover``). The discriminator has two stages,
each fitted on data the test never scores:

1. a *reader*, trained on the training split (``_training``), estimates for every generator
   how far an input was moved along it, given its label or targets (the test concerns x with
   its label): a posterior over the grid's moves (``_probes``), read for step k as the
   likelihood ratio log p(+-k | x) / p(0 | x), and as the posterior's mean move. One reader, a
   head per generator, serves the whole group; image translations are read again by a reader
   of their own on a finer grid (``_probes``), whose verdicts replace the shared reader's.
2. per step t, a histogram classifier on one reading, fitted on one held-out split moved and
   unmoved: it learns where the data's own pose spread ends. For regression data one more
   reading is the residual of a predictor fitted to the training split (``_residuals``): a
   move may keep the inputs' distribution and break the law from inputs to targets.

Scoring is paired and cross-fitted: every input of the other held-out split is scored in the
reference arm and moved by +-t, d_i = says_moved(moved x_i) - says_moved(reference x_i), and
the splits swap roles. The mean of d estimates the classifier's TV_t between the data and the
data moved by t, a lower bound of the true TV. Each fold's d are independent given the other
fold, but the two folds' sums are correlated (each classifier was fitted on the other fold), so
every test runs per fold and the folds combine as 2 * min p (Bonferroni: valid under any
dependence). From the curve:

- ``invariance_p`` (H0: moving by the first step changes nothing): exact sign tests per fold;
- the *extent*: the uniform-spread model fitted to the whole TV curve (``_extent``): data spread
  uniformly over +-E give TV_t = t / 2E on a line and min(t, P - 2E, 2E) / 2E on a circle of
  circumference P, which is exact for exact TVs at +-90, +-120 and +-150 degrees alike;
- *presence*, from a confidence bound: the one-sided upper bound of the first step's TV
  (``tv_upper``, confidence 1 - alpha with the folds combined) lies below a threshold. For a
  continuous generator the threshold is 1/2, the extent's own definition: the data extend
  beyond the first step; and the extent fitted to the whole curve must clear the test's
  resolution (``RESOLVED`` first steps) with confidence, since a reader's TV at the first step
  is lowest where the data's own pose varies: the bootstrap p-value of "the extent is at most
  the bar" (inputs drawn with replacement, ``_extent.extent_p``) joins the first step's
  (intersection-union: the larger p-value). Image translations are read on a finer grid whose
  bar (``Probe.min_extent``, coarser for weakly trained readers: ``_probes``) lies beyond the
  first step: there the extent's p-value alone decides. For a discrete
  generator, whose one move cannot be a small step, the threshold is the equivalence margin
  ``TestConfig.margin`` (see there).
  Holm's procedure over the group's generators bounds the chance of any false discovery in the
  group by alpha.
- a *positive control* with the trained reader: a reader that cannot see a generator reads TV 0
  at every step, exactly what a whole symmetry shows, and a weak reader underestimates TV, which
  would make presence more likely. So a fixed random pattern (the *marker*, no symmetry of any
  generator) is added to a share of the training inputs, and held-out inputs carrying it are
  moved by the probe's control step (the first step; image translations: 1/8 of the side,
  ``Probe.control_step``). A C2ST on the distance between the trained reader's features of an
  input and of its moved copy (``_visibility``) must tell these pairs from unmoved ones at level
  alpha: the reader must register the move wherever the data's own distribution does not hide
  it. Where it does not, the verdict is undecided (not present, with a note); a linear probe
  must also take the data wholly out of themselves at the grid's far end.

Interpolation: images moved along a rotation pass through a band-limited rotation after a
matched low-pass and a soft circular window, on both arms, the reference arm being moved by the
same element and back; images moved along a translation through a band-limited shift after the
same low-pass, on both arms (``_resample``); any other image move is bilinear warps after random
sub-pixel translations, on both arms (``_mover``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from pipeline.data import Dataset
from pipeline.discovery._confirm import confirming_differences, vetoes
from pipeline.discovery._extent import (
    bootstrap_extents,
    extent_lower_bound,
    extent_p,
    fitted_extent,
    is_full,
)
from pipeline.discovery._mover import Conditioner, Mover, marker
from pipeline.discovery._probes import Probe, fine_probe, probes
from pipeline.discovery._readers import Reader
from pipeline.discovery._records import EXTENT_TV, RESOLVED, TestConfig, Verdict
from pipeline.discovery._residuals import Residuals, residuals_for
from pipeline.discovery._splits import at_reader_resolution, splits_for_test
from pipeline.discovery._training import reader_epochs, subset, train_reader, training_sample
from pipeline.discovery._twosample import (
    accuracy_p,
    combined_p,
    cross_fitted_folds,
    histogram_classifier,
    mean_above_p,
    mean_below_p,
    sign_test_p,
    upper_bound,
)
from pipeline.groups import Group
from pipeline.kinds import kind_record

# Feature changes below this share of the features' norm are the float arithmetic's own noise
# (a generator that leaves an input where it was still runs it through a resampling or product).
FLOAT_NOISE = 1e-4
FINE_SEED = 104_729  # the fine translation reader's generator: seed + this (its own draws)
_Outputs = tuple[Tensor, Tensor | None]  # a head's logits, the residual reading or None


@dataclass
class Measured:
    """The basis' verdicts before any decision, their probes, and the binary readers of single
    discrete moves (``confirm(p, j)``: paired differences of probe p's step j, memoized)."""

    verdicts: list[Verdict]
    probes: list[Probe]
    confirm: Callable[[int, int], Tensor]


def measure(
    dataset: Dataset, group: Group, config: TestConfig, device: torch.device | str = "cpu"
) -> Measured:
    """TV curves, extents, p-values and controls of every generator of ``group`` (undecided:
    ``_discover.discovery_test`` decides; see the module docstring). One reader is shared by
    the generators; image translations have their own, on a finer grid (``_probes``)."""
    group = group.to(device="cpu", dtype=torch.float32)  # elements move to the data's device
    dataset = at_reader_resolution(dataset)
    side = dataset.train.inputs.shape[-1] if kind_record(dataset.kind).whole_sites else 0
    found = probes(group, dataset.kind, side)
    if not found:
        return Measured([], [], lambda p, j: torch.zeros(0))
    device = torch.device(device)
    train = training_sample(dataset, config, device)
    translations = [p for p, probe in enumerate(found) if probe.unit == "side"]  # of images
    epochs = reader_epochs(config, len(translations))  # the fine reader's
    fine = {p: fine_probe(found[p], len(train[0]), epochs) for p in translations}
    conditioner = Conditioner(dataset, config.seed)
    mark = marker(dataset.train.inputs, dataset.kind, config.seed).to(device)
    rng = torch.Generator().manual_seed(config.seed)
    mover = Mover(dataset, group, found, device)
    reader = train_reader(dataset, mover, conditioner, config, rng)
    scored = splits_for_test(dataset, config.max_train, config.max_held_out)[1:]
    folds = [_held_out(split, config.max_held_out, rng, device) for split in scored]
    confirm = _Confirmer(mover, conditioner, train, folds, config.seed)
    residuals = residuals_for(dataset, conditioner, train, config.seed)
    verdicts: list[Verdict | None] = [None] * len(found)
    scorer = _Scorer(reader, mover, conditioner, rng, residuals)
    for p in range(len(found)):
        if p not in fine:
            verdicts[p] = _test_probe(scorer, p, folds, mark, config, confirm)
    found = [fine.get(p, probe) for p, probe in enumerate(found)]
    if fine:
        fine_rng = torch.Generator().manual_seed(config.seed + FINE_SEED)
        fine_mover = Mover(dataset, group, list(fine.values()), device)
        fine_reader = train_reader(dataset, fine_mover, conditioner, config, fine_rng)
        fine_scorer = _Scorer(fine_reader, fine_mover, conditioner, fine_rng, residuals)
        for q, p in enumerate(fine):
            verdicts[p] = _test_probe(fine_scorer, q, folds, mark, config)
    return Measured(verdicts, found, confirm)


class _Confirmer:
    """``confirming_differences`` per (probe, step), each reader trained once."""

    def __init__(
        self,
        mover: Mover,
        conditioner: Conditioner,
        train: tuple[Tensor, Tensor],
        folds: list[tuple[Tensor, Tensor]],
        seed: int,
    ):
        self.args, self.seed, self.done = (mover, conditioner), seed, {}
        self.train, self.folds = train, folds

    def __call__(self, p: int, j: int) -> Tensor:
        if (p, j) not in self.done:
            self.done[p, j] = confirming_differences(
                *self.args, p, j, self.train, self.folds, self.seed
            )
        return self.done[p, j]


# -- the two-sample tests ---------------------------------------------------------------------


def _held_out(split, limit: int, rng: torch.Generator, device: torch.device):
    index = subset(len(split), limit, rng)
    return split.inputs[index].float().to(device), split.targets[index].to(device)


class _Scorer:
    """The trained reader's head outputs on held-out inputs, moved or in the reference arm."""

    def __init__(
        self,
        reader: Reader,
        mover: Mover,
        conditioner: Conditioner,
        rng: torch.Generator,
        residuals: Residuals | None = None,
    ):
        self.reader, self.mover, self.conditioner, self.rng = reader, mover, conditioner, rng
        self.residuals = residuals

    @torch.no_grad()
    def outputs(self, p: int, j: int, x: Tensor, y: Tensor, moved: bool) -> _Outputs:
        """Probe p's head on x moved by +-step j, or on its reference arm (``Mover.arm``), and
        the residual reading where the data have one."""
        x, y = self.mover.arm(p, j, x, y, moved, self.rng)
        residuals = None if self.residuals is None else self.residuals(x, y).cpu()
        return self.reader(x, self.conditioner(y))[p], residuals

    def differences(self, p: int, j: int, folds, reference: list[_Outputs] | None = None):
        """Per fold, the paired differences of step j (cross-fitted), and the reference
        outputs (reused across steps where the reference arm does not depend on the step)."""
        probe = self.mover.probes[p]
        if reference is None or self.mover.paired[p]:
            reference = [self.outputs(p, j, x, y, moved=False) for x, y in folds]
        moved = [self.outputs(p, j, x, y, moved=True) for x, y in folds]
        readings = [
            (_readings(probe, a, j), _readings(probe, b, j))
            for a, b in zip(reference, moved, strict=True)
        ]
        return cross_fitted_folds(*readings), reference


def _readings(probe: Probe, outputs: _Outputs, j: int) -> list[Tensor]:
    """The head's statistics and the residual reading (``_residuals``) where there is one."""
    head, residuals = outputs
    found = _statistics(probe, head, j)
    return found if residuals is None else [*found, residuals]


def _statistics(probe: Probe, out: Tensor, j: int) -> list[Tensor]:
    """The 1-D readings a step-j classifier may use: the likelihood ratio of the bins; for
    continuous probes also the posterior's mean move (for rotations its mean angle, what a
    (cos, sin) regression would estimate), which pools the bins where the data have no finite
    symmetry of their own and the posterior is one broad mode."""
    found = [_discrete_score(probe, out, j).cpu()]
    if probe.mode == "linear":
        powers = torch.tensor(probe.bin_powers, device=out.device, dtype=out.dtype)
        found.append((F.softmax(out, dim=1) @ powers).cpu())
    if probe.mode == "periodic":
        posterior = F.softmax(out, dim=1)
        angle = 2 * math.pi * torch.tensor(probe.bin_powers, device=out.device) / probe.limit
        found.append(torch.atan2(posterior @ angle.sin(), posterior @ angle.cos()).cpu())
    return found


def _discrete_score(probe: Probe, logits: Tensor, j: int) -> Tensor:
    """log posterior of +-power (step j) over that of power 0."""
    log_p = F.log_softmax(logits, dim=1)
    return torch.logsumexp(log_p[:, probe.bins_of_step(j)], dim=1) - log_p[:, 0]


def _test_probe(
    scorer: _Scorer,
    p: int,
    folds,
    mark: Tensor,
    config: TestConfig,
    confirm: Callable[[int, int], Tensor] | None = None,
) -> Verdict:
    probe = scorer.mover.probes[p]
    per_step, reference = [], None
    for j in range(len(probe.steps)):
        fold_differences, reference = scorer.differences(p, j, folds, reference)
        per_step.append(fold_differences)
    marked = [(x + mark, y) for x, y in folds]
    verdict = _verdict(probe, per_step, config)
    verdict.visibility_p, verdict.control_tv = _visibility(scorer, p, marked)
    if probe.mode == "linear":  # a far move takes bounded data wholly out of themselves
        reach = combined_p([mean_above_p(d, 1 - config.margin) for d in per_step[-1]])
        verdict.visibility_p = max(verdict.visibility_p, reach)
    if probe.mode == "discrete" and confirm is not None and verdict.p_value <= config.alpha:
        differences = confirm(p, 0)  # a reader of this move alone may see what the first missed
        verdict.confirm_tv = max(0.0, float(differences.double().mean()))
        if vetoes(differences, verdict.threshold, config.alpha):
            verdict.p_value = 1.0
    return verdict


@torch.no_grad()
def _visibility(scorer: _Scorer, p: int, marked) -> tuple[float, float]:
    """The positive control on an injected non-invariance: p-value of H0 "the trained reader
    does not see marked inputs move by +-(the probe's control step)", and the control's TV.

    A C2ST between pairs of the trained reader's features of the same marked input: A = (x, x)
    in the reference arm twice (independent resamplings, or the same exact one for image
    translations), B = (x, x moved by +-control step); the statistic is the distance between
    the features. The marker moves with its input whatever
    the data's own distribution, so a reader whose features register the generator tells B from
    A, and one blind to it (a whole symmetry and blindness both read TV 0 on the data) does not.
    """
    (x_fit, y_fit), (x_test, y_test) = marked
    half = len(x_test) // 2
    fit_a, fit_b = (_pair_distance(scorer, p, x_fit, y_fit, moved) for moved in (False, True))
    test_a = _pair_distance(scorer, p, x_test[:half], y_test[:half], False)
    test_b = _pair_distance(scorer, p, x_test[half : 2 * half], y_test[half : 2 * half], True)
    says_b = histogram_classifier(fit_a, fit_b)
    right = int((~says_b(test_a)).sum()) + int(says_b(test_b).sum())
    return accuracy_p(right, 2 * half), 2 * right / max(1, 2 * half) - 1


def _pair_distance(scorer: _Scorer, p: int, x: Tensor, y: Tensor, moved: bool) -> Tensor:
    """|features(reference x) - features(x moved by +-control step, or reference again)| per input;
    changes below the float arithmetic's own noise (relative FLOAT_NOISE) count as none."""
    mover, reader, condition = scorer.mover, scorer.reader, scorer.conditioner
    amounts = mover.step(p, mover.probes[p].control_step, len(x), scorer.rng)
    back = mover.paired[p]
    still = amounts if back else torch.zeros(len(x)).long()
    first_x, first_y = mover.move(p, still, x, y, scorer.rng, back=True)
    second_x, second_y = mover.move(
        p, amounts if moved else still, x, y, scorer.rng, back=not moved
    )
    first = reader.features(first_x, condition(first_y))
    second = reader.features(second_x, condition(second_y))
    distance = (second - first).norm(dim=1).cpu()
    floor = FLOAT_NOISE * float(first.norm(dim=1).median())
    return torch.where(distance > floor, distance, torch.zeros_like(distance))


def threshold_of(probe: Probe, config: TestConfig) -> float:
    """The TV below which the first step counts as equivalent (see the module docstring)."""
    return config.margin if probe.mode == "discrete" else EXTENT_TV


def _circle(probe: Probe) -> float | None:
    """The circumference of a whole generator in the magnitudes' unit (None for lines)."""
    if probe.mode == "linear":
        return None
    return probe.limit * probe.magnitudes[0] / probe.steps[0]


def _verdict(probe: Probe, per_step: list[tuple[Tensor, Tensor]], config: TestConfig) -> Verdict:
    """Presence and extent from the per-fold paired differences of every step."""
    threshold, level = threshold_of(probe, config), config.alpha / 2  # two folds: Bonferroni
    tv = [max(0.0, float(torch.cat(folds).double().mean())) for folds in per_step]
    tv_error = [_standard_error(torch.cat(folds)) for folds in per_step]
    tv_upper = [min(1.0, max(0.0, min(upper_bound(d, level) for d in folds))) for folds in per_step]
    p_value = combined_p([mean_below_p(d, threshold) for d in per_step[0]])
    invariance = combined_p([sign_test_p(d) for d in per_step[0]])
    circle, sizes = _circle(probe), [probe.size(m) for m in probe.magnitudes]
    size = fitted_extent(sizes, tv, circle)
    full = probe.whole and is_full(size, circle)
    lower = None
    if probe.mode != "discrete" and not full:  # the spread must clear the bar with confidence
        extent_p_value, lower = _beyond_bar(probe, per_step, sizes, circle, config)
        # A fine grid's bar lies beyond its first step: its p-value replaces the first step's
        # bound there, which a wide grid loosens. Elsewhere both must hold (intersection-union).
        p_value = extent_p_value if probe.min_extent else max(p_value, extent_p_value)
    if full or size >= probe.size(probe.magnitudes[-1]):
        extent = probe.magnitudes[-1]
    else:
        extent = math.exp(size) if probe.log_scale else size
    return Verdict(
        probe.generator,
        False,
        p_value,
        extent,
        probe.unit,
        full=full,
        invariance_p=invariance,
        magnitudes=list(probe.magnitudes),
        tv=tv,
        tv_upper=tv_upper,
        threshold=threshold,
        tv_error=tv_error,
        extent_lower=lower,
    )


def _beyond_bar(
    probe: Probe,
    per_step: list[tuple[Tensor, Tensor]],
    sizes: list[float],
    circle: float | None,
    config: TestConfig,
) -> tuple[float, float]:
    """The bootstrap p-value of "the extent is at most the probe's bar" (``Probe.min_extent``,
    else RESOLVED first steps) and the extent's lower confidence bound (level alpha) in the
    probe's unit. ``sizes``: the grid's steps as the fit reads them (``Probe.size``). Each
    scored input keeps its readings across the steps."""
    differences = torch.stack([torch.cat(folds) for folds in per_step], dim=1)
    bar = probe.size(probe.min_extent) if probe.min_extent else RESOLVED * sizes[0]
    rng = torch.Generator().manual_seed(config.seed)
    extents = bootstrap_extents(sizes, differences, circle, rng)
    lower = extent_lower_bound(extents, config.alpha)
    return extent_p(extents, bar), math.exp(lower) if probe.log_scale else lower


def _standard_error(differences: Tensor) -> float:
    n = len(differences)
    return float(differences.double().std()) / math.sqrt(n) if n > 1 else 0.0


def _decide(verdicts: list[Verdict], alpha: float) -> None:
    """Holm's step-down procedure over the group's generators, then the positive control.

    Present needs both nulls rejected: "absent" (Holm, family-wise level alpha) and "the reader
    misses a non-invariance at the first step" (level alpha). An intersection-union test keeps
    the level without a further correction, and dropping rejections never raises the
    family-wise error. Where the first is rejected and the second is not, the data may look
    invariant only because the reader is too weak to tell: undecided, not present.
    """
    order = sorted(range(len(verdicts)), key=lambda i: verdicts[i].p_value)
    for rank, i in enumerate(order):
        verdict = verdicts[i]
        if verdict.p_value > alpha / (len(verdicts) - rank):
            break
        verdict.present = verdict.visibility_p <= alpha
        if not verdict.present:
            verdict.note = (
                f"undecided: the trained reader does not see {verdict.generator} "
                f"move a marked input, or data moved far along it (control p = "
                f"{verdict.visibility_p:.2g}), so invariance cannot be told from "
                f"blindness"
            )
