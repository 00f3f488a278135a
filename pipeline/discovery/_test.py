"""The per-generator discovery test: a classifier two-sample test along each generator.

For a generator L and a grid step t, sample A is held-out data and sample B held-out data moved
by exp(+-t L) (a C2ST, Lopez-Paz & Oquab 2017). The discriminator has two stages, each fitted on
data the test never scores:

1. a *reader*, trained on the training split, estimates for every generator how far an input
   was moved along it, given its label for labelled data (the test concerns x with its label):
   the coefficient of a translation or zoom, or a posterior over the powers of a rotation's
   30-degree element or of a discrete generator (the reading for step k is then the likelihood
   ratio log p(+-k | x) / p(0 | x), the statistic that tells x moved by k from x unmoved best).
   One reader with a head per generator serves the whole group.
2. per step t, a histogram classifier on that one reading, fitted on one held-out split moved
   and unmoved: it learns where the data's own pose spread ends.

Scoring is paired and cross-fitted: every input of the other held-out split is scored unmoved and
moved by +-t, d_i = says_moved(moved x_i) - says_moved(x_i), and the two splits swap roles, so
every held-out input counts once, scored by a classifier that never saw it (twice the inputs,
each scored both ways, where disjoint halves of one split were scored once). The mean of d
estimates the classifier's TV_t between the data and the data moved by t (its accuracy is
(1 + TV_t) / 2), a lower bound of the true TV, which gives:

- an invariance p-value per t (H0: moving changes nothing; an exact sign test: the pair (x, x
  moved by a random +-t) is then exchangeable);
- the extent: the t where TV_t reaches 1/2. For data spread uniformly over +-E along L,
  TV_t = t / (2E) for t < 2E, so TV reaches 1/2 at t = E whatever the sample size (the largest t
  not rejected would shrink as data grow); the crossing is interpolated linearly;
- presence from evidence: H0 "absent" says the first grid step already moves the data at least
  halfway out of themselves (TV >= 1/2 of what the reader reaches at all; for a discrete
  generator TV >= INVARIANT_TV); a one-sided t-test on the d_i rejects it when the data are
  spread along L by more than a grid step. Holm's procedure over the group's generators bounds
  the chance of any false discovery in the group by alpha.
- a positive control: "no step differs" is what a whole symmetry shows, and also what a reader
  blind to the generator shows. Pairs of readings of the same input, moved by the first step
  or not, must be told apart (a C2ST on the distance between the reader's features) before
  presence is claimed; where they are not, the verdict is undecided (not present, with a note).

Interpolation: every input of an image reader, moved or not, is resampled once with a random
sub-pixel translation, so resampling blur does not tell moved inputs apart.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor

from pipeline.actions import act
from pipeline.data import Dataset
from pipeline.discovery._probes import Probe, probes
from pipeline.discovery._readers import Reader
from pipeline.discovery._splits import splits_for_test
from pipeline.discovery._twosample import (
    accuracy_p,
    cross_fitted,
    histogram_classifier,
    mean_below_p,
    sign_test_p,
)
from pipeline.groups import Group

# Feature changes below this share of the features' norm are the float arithmetic's own noise
# (a generator that leaves an input where it was still runs it through a resampling or product).
FLOAT_NOISE = 1e-4
# Data moved along a generator that stay within this TV of themselves at every grid step read
# as invariant: a discrete generator is then present, a continuous one whole. The reader's TV is
# a lower bound (a reader may fail to tell a mirrored 4 from a 4 now and then), so the bar sits
# well below 1/2: a whole symmetry reads TV ~ 0, digits mirrored read 0.4-0.8 (the symmetric
# 0, 1 and 8 lower it). It also keeps one noisy step of a whole symmetry (a sign test passing
# at TV 0.1) from becoming a tiny ceiling that every other step would be measured against.
INVARIANT_TV = 0.25


@dataclass(frozen=True)
class TestConfig:
    """Settings of the test; defaults keep it to seconds per generator on a CPU core."""

    __test__ = False  # not a pytest class

    alpha: float = 0.05  # level of the presence test, family-wise over the group (Holm)
    epochs: int = 80  # reader training epochs: 40 left digits rotations blurred (extents +40%)
    # Each training input is moved along one probe, so a head learns from 1/k of the moves of a
    # k-generator group: at least this many epochs per probe (a rotation head sharing 80 epochs
    # with four translations and zooms read digits turned within +-60 degrees as a blur).
    epochs_per_probe: int = 32
    batch_size: int = 128
    lr: float = 3e-3
    max_train: int = 1500  # training inputs used (a random subset beyond this)
    max_held_out: int = 1000  # validation / test inputs used
    seed: int = 0
    # Directions of the algebra proposed from the training split and tested beside the basis
    # (pipeline/discovery/_directions.py); None: DIRECTIONS where the candidate has at least two
    # continuous generators, else 0.
    directions: int | None = None


@dataclass
class Verdict:
    """The test's answer for one generator."""

    generator: str
    present: bool
    p_value: float  # against "absent": small means evidence that the symmetry is present
    extent: float  # in ``unit``: where TV reaches 1/2 (the grid's end when it never does)
    unit: str
    full: bool  # TV stays below 1/2 over the whole (compact or finite) generator
    invariance_p: float  # exact C2ST p-value at the first grid step (H0: no difference)
    magnitudes: list[float] = field(default_factory=list)
    tv: list[float] = field(default_factory=list)  # estimated total variation per magnitude
    visibility_p: float = 0.0  # the positive control (H0: the reader cannot see the move)
    note: str | None = None  # why the verdict is undecided (present is then False)
    extent_error: float | None = None  # |ln(extent / declared support)| where declared
    seconds: float = 0.0
    tv_error: list[float] = field(default_factory=list)  # standard error of each tv
    # The largest proper cyclic subgroup of the generator's own group (its powers; for a
    # rotation, the 30-degree grid's) found invariant where the generator is not present:
    # its order and its name (C3 inside C6 or SO2); None where none (_subgroups.py).
    invariant_order: int | None = None
    subgroup: str | None = None
    matrix: Tensor | None = None  # a proposed direction's (d, d) matrix; None for the basis


def discovery_test(dataset: Dataset, group: Group, config: TestConfig | None = None,
                   device: torch.device | str = "cpu") -> list[Verdict]:  # fmt: skip
    """A verdict per generator of ``group`` on ``dataset`` (see the module docstring)."""
    config = config or TestConfig()
    started = time.perf_counter()
    group = group.to(device="cpu", dtype=torch.float32)  # elements move to the data's device
    side = dataset.train.inputs.shape[-1] if dataset.kind == "lattice" else 0
    found = probes(group, dataset.kind, side)
    if not found:
        return []
    mover = _Mover(dataset, group, found, torch.device(device))
    rng = torch.Generator().manual_seed(config.seed)
    reader, initial = _train_reader(dataset, mover, config, rng)
    verdicts = [_test_probe(dataset, mover, (reader, initial), p, config, rng)
                for p in range(len(found))]  # fmt: skip
    from pipeline.discovery import _directions, _subgroups  # they call back into this module

    verdicts += _directions.direction_verdicts(dataset, group, config, device)
    _decide(verdicts, config.alpha)
    _subgroups.name_invariant_subgroups(verdicts, found, config.alpha)
    for verdict, probe in zip(verdicts, found, strict=False):  # the basis' (directions follow)
        verdict.extent_error = _extent_error(dataset, probe, verdict)
    for verdict in verdicts:
        verdict.seconds = time.perf_counter() - started
    return verdicts


# -- moving data ------------------------------------------------------------------------------


class _Mover:
    """Moves batches along probes; images get the random sub-pixel resampling (see top)."""

    def __init__(self, dataset: Dataset, group: Group, found: list[Probe], device: torch.device):
        self.kind, self.group, self.probes, self.device = dataset.kind, group, found, device
        self.tables = [torch.stack([torch.linalg.matrix_power(p.element, k) for k in p.bin_powers])
                       for p in found]  # fmt: skip

    def move(self, probe: int, amounts: Tensor, x: Tensor, rng: torch.Generator) -> Tensor:
        """Move ``x`` along probe ``probe``: coefficients t (floats), or bin indices."""
        spec = self.probes[probe]
        if not amounts.is_floating_point():
            elements = self.tables[probe][amounts.long()]
        else:
            elements = self.group.exp(amounts.float()[:, None] * spec.direction)
        if self.kind == "image":
            elements = elements @ _jitter(self.group, len(x), min(x.shape[-2:]), rng)
        return act(self.group, elements.to(self.device), x, self.kind)

    def draw(self, probe: int, n: int, rng: torch.Generator) -> Tensor:
        """Training amounts: for rotations angles over the whole turn (the bins learn 30-degree
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


# -- the reader -------------------------------------------------------------------------------


def condition(dataset: Dataset, targets: Tensor) -> Tensor:
    """What the reader sees beside x: the label (one-hot), or small invariant targets."""
    n = len(targets)
    if dataset.task == "classification" and dataset.num_classes:
        return F.one_hot(targets.long().reshape(n), dataset.num_classes).float()
    if dataset.target_kind is None and dataset.task == "regression":
        flat = targets.reshape(n, -1).float()
        if flat.shape[1] <= 16:
            reference = dataset.train.targets.reshape(len(dataset.train), -1).float()
            return (flat - reference.mean(0)) / reference.std(0).clamp_min(1e-8)
    return torch.zeros(n, 0)


def _subset(n: int, limit: int, rng: torch.Generator) -> Tensor:
    order = torch.randperm(n, generator=rng)
    return order[:limit] if limit < n else order


def _train_reader(dataset: Dataset, mover: _Mover, config: TestConfig,
                  rng: torch.Generator) -> tuple[Reader, Reader]:  # fmt: skip
    """The trained reader, and a copy of it as initialized (for the positive control)."""
    own = splits_for_test(dataset, config.max_held_out)[0]
    index = _subset(len(own), config.max_train, rng)
    x = own.inputs[index].float().to(mover.device)
    c = condition(dataset, own.targets[index]).to(mover.device)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)  # layer initializers draw from the global generator
        reader = Reader(dataset.kind, tuple(x.shape[1:]), c.shape[1],
                        [p.outputs for p in mover.probes]).to(mover.device)  # fmt: skip
    initial = copy.deepcopy(reader).eval()
    optimizer = torch.optim.Adam(reader.parameters(), lr=config.lr)
    reader.train()
    for _ in range(max(config.epochs, config.epochs_per_probe * len(mover.probes))):
        order = torch.randperm(len(x), generator=rng).to(mover.device)
        for start in range(0, len(x), config.batch_size):
            batch = order[start : start + config.batch_size]
            which = torch.randint(len(mover.probes), (len(batch),), generator=rng)
            loss = _batch_loss(reader, mover, x[batch], c[batch], which, rng)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    reader.eval()
    return reader, initial


def _batch_loss(reader: Reader, mover: _Mover, x: Tensor, c: Tensor, which: Tensor,
                rng: torch.Generator) -> Tensor:  # fmt: skip
    """Each input moved along one random probe; that probe's head learns the amount."""
    moved, targets = x.clone(), {}
    for p in which.unique().tolist():
        rows = (which == p).nonzero().squeeze(1).to(x.device)
        amounts = mover.draw(p, len(rows), rng)
        moved[rows] = mover.move(p, amounts, x[rows], rng)
        targets[p] = (rows, amounts.to(x.device))
    outputs = reader(moved, c)
    total = x.new_zeros(())
    for p, (rows, amounts) in targets.items():
        total = total + _head_loss(mover.probes[p], outputs[p][rows], amounts)
    return total / len(x)


def _head_loss(probe: Probe, output: Tensor, amounts: Tensor) -> Tensor:
    if probe.mode == "periodic":  # the nearest bin
        amounts = torch.round(amounts * probe.limit / (2 * math.pi)).remainder(probe.limit)
    return F.cross_entropy(output, amounts.long(), reduction="sum")


# -- the two-sample tests ---------------------------------------------------------------------


@torch.no_grad()
def _outputs(reader: Reader, mover: _Mover, p: int, j: int | None, x: Tensor, c: Tensor,
             rng: torch.Generator) -> Tensor:  # fmt: skip
    """Probe p's head on x moved by +-step j (unmoved for None)."""
    amounts = torch.zeros(len(x)).long() if j is None else mover.step(p, j, len(x), rng)
    return reader(mover.move(p, amounts, x, rng), c)[p]


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


def _held_out(split, dataset: Dataset, limit: int, rng: torch.Generator, device: torch.device):
    index = _subset(len(split), limit, rng)
    inputs, targets = split.inputs[index].float(), condition(dataset, split.targets[index])
    return inputs.to(device), targets.to(device)


def _test_probe(dataset: Dataset, mover: _Mover, readers: tuple[Reader, Reader], p: int,
                config: TestConfig, rng: torch.Generator) -> Verdict:  # fmt: skip
    (reader, initial), probe = readers, mover.probes[p]
    folds = [_held_out(split, dataset, config.max_held_out, rng, mover.device)
             for split in splits_for_test(dataset, config.max_held_out)[1:]]  # fmt: skip
    unmoved = [_outputs(reader, mover, p, None, x, c, rng) for x, c in folds]
    differences = []
    for j in range(len(probe.steps)):
        moved = [_outputs(reader, mover, p, j, x, c, rng) for x, c in folds]
        readings = [(_statistics(probe, a, j), _statistics(probe, b, j))
                    for a, b in zip(unmoved, moved, strict=True)]  # fmt: skip
        differences.append(cross_fitted(*readings))
    visibility = _visibility(initial, mover, p, *folds, rng)
    return _verdict(probe, differences, visibility)


@torch.no_grad()
def _visibility(reader: Reader, mover: _Mover, p: int, fit: tuple[Tensor, Tensor],
                test: tuple[Tensor, Tensor], rng: torch.Generator) -> float:  # fmt: skip
    """The positive control: p-value of H0 "the reader cannot see a move by +-step 1".

    A C2ST between pairs of readings of the *same* input: A = (x, x) unmoved (for images two
    independent sub-pixel resamplings), B = (x, x moved by +-step 1); the statistic is the
    distance between the reader's features of the two. Pairs are visible whatever the data's
    distribution: a whole symmetry (no step differs) still moves each input, while a reader
    whose features do not register the move would read any data as invariant. The reader is
    taken as initialized: under a whole symmetry its training target says nothing, and training
    may rightly teach it to ignore the generator.
    """
    (x_fit, c_fit), (x_test, c_test) = fit, test
    half = len(x_test) // 2
    fit_a, fit_b = (_pair_distance(reader, mover, p, x_fit, c_fit, moved, rng)
                    for moved in (False, True))  # fmt: skip
    test_a = _pair_distance(reader, mover, p, x_test[:half], c_test[:half], False, rng)
    test_b = _pair_distance(reader, mover, p, x_test[half : 2 * half], c_test[half : 2 * half],
                            True, rng)  # fmt: skip
    says_b = histogram_classifier(fit_a, fit_b)
    right = int((~says_b(test_a)).sum()) + int(says_b(test_b).sum())
    return accuracy_p(right, 2 * half)


def _pair_distance(reader: Reader, mover: _Mover, p: int, x: Tensor, c: Tensor, moved: bool,
                   rng: torch.Generator) -> Tensor:  # fmt: skip
    """|features(x) - features(x moved by +-step 1, or unmoved)| per input; changes below the
    float arithmetic's own noise (relative FLOAT_NOISE) count as none."""
    zero = torch.zeros(len(x)).long()
    amounts = mover.step(p, 0, len(x), rng) if moved else zero
    first = reader.features(mover.move(p, zero, x, rng), c)
    second = reader.features(mover.move(p, amounts, x, rng), c)
    distance = (second - first).norm(dim=1).cpu()
    floor = FLOAT_NOISE * float(first.norm(dim=1).median())
    return torch.where(distance > floor, distance, torch.zeros_like(distance))


def _verdict(probe: Probe, differences: list[Tensor], visibility: float) -> Verdict:
    tv = [max(0.0, float(d.double().mean())) for d in differences]
    tv_error = [float(d.double().std()) / math.sqrt(len(d)) if len(d) > 1 else 0.0
                for d in differences]  # fmt: skip
    if probe.mode == "discrete":
        # A discrete move is a whole group element, not a small step a blurry reader might
        # miss, and an order-2 generator has one step, which cannot be its own reference: no
        # ceiling; "absent" is any TV the reader's lower bound cannot place below INVARIANT_TV.
        ceiling, absent_tv = _discrete_ceiling(differences), INVARIANT_TV
    else:
        # H0 absent: the first step already reaches half the ceiling. Where no step differs at
        # all (a whole generator leaving the data as they were), absence would have meant
        # TV >= 1/2 for a reader that sees the generator: ceiling 1.
        ceiling = _ceiling(tv, differences)
        absent_tv = (ceiling or 1.0) / 2
    p_value = mean_below_p(differences[0], absent_tv)
    invariance = sign_test_p(differences[0])  # H0 invariant: moving changes nothing
    extent, reached = _crossing(probe, [t / ceiling for t in tv] if ceiling else [0.0] * len(tv))
    return Verdict(probe.generator, False, p_value, extent, probe.unit,
                   full=probe.whole and not reached, invariance_p=invariance,
                   magnitudes=list(probe.magnitudes), tv=tv,
                   visibility_p=visibility, tv_error=tv_error)  # fmt: skip


def _nothing_differs(differences: list[Tensor]) -> bool:
    """No step is told apart from the unmoved data (sign tests, Bonferroni over the steps)."""
    return min(sign_test_p(d) for d in differences) * len(differences) > 0.05


def _ceiling(tv: list[float], differences: list[Tensor]) -> float:
    """The reader's TV for data moved wholly out of themselves: the mean of its three largest
    readings (a max would be biased upwards by noise); 0 when no step is told apart at all.

    A reader that cannot place some inputs (a 0 or an 8 turned upside down) reaches TV = c < 1
    there; dividing by c makes the extent that of the inputs it can place. Below INVARIANT_TV
    the data never leave themselves along the generator: 0, as if nothing differed.
    """
    if _nothing_differs(differences):
        return 0.0
    top = sorted(tv)[-3:]
    ceiling = sum(top) / len(top)
    return ceiling if ceiling >= INVARIANT_TV else 0.0


def _discrete_ceiling(differences: list[Tensor]) -> float:
    return 0.0 if _nothing_differs(differences) else 1.0


def _crossing(probe: Probe, tv: list[float]) -> tuple[float, bool]:
    """Where TV first reaches 1/2, interpolated linearly from (0, 0); the grid's end if never."""
    last_size, last_tv = 0.0, 0.0
    for magnitude, value in zip(probe.magnitudes, tv, strict=True):
        size = probe.size(magnitude)
        if value >= 0.5:
            crossing = last_size + (size - last_size) * (0.5 - last_tv) / (value - last_tv)
            return (math.exp(crossing) if probe.log_scale else crossing), True
        last_size, last_tv = size, value
    return probe.magnitudes[-1], False


def _decide(verdicts: list[Verdict], alpha: float) -> None:
    """Holm's step-down procedure over the group's generators, then the positive control.

    Present needs both nulls rejected: "absent" (Holm, family-wise level alpha) and "the reader
    cannot see the move" (level alpha). An intersection-union test keeps the level without a
    further correction, and dropping rejections never raises the family-wise error. Where the
    first is rejected and the second is not, the data look invariant only because the reader may
    be blind: undecided, not present.
    """
    order = sorted(range(len(verdicts)), key=lambda i: verdicts[i].p_value)
    for rank, i in enumerate(order):
        verdict = verdicts[i]
        if verdict.p_value > alpha / (len(verdicts) - rank):
            break
        verdict.present = verdict.visibility_p <= alpha
        if not verdict.present:
            verdict.note = (f"undecided: {verdict.generator} moves no reading the reader can "
                            f"see (control p = {verdict.visibility_p:.2g}), so invariance "
                            f"cannot be told from blindness")  # fmt: skip


def _extent_error(dataset: Dataset, probe: Probe, verdict: Verdict) -> float | None:
    declared = dataset.support.get(probe.generator.split(".")[-1])
    if declared is None or not verdict.present:
        return None
    true_size, size = probe.size(declared), probe.size(verdict.extent)
    if true_size <= 0 or size <= 0:
        return None
    return abs(math.log(size / true_size))
