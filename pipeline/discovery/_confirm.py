"""A second reader for one discrete move: a binary classifier of "moved by g^k or not".

The test's reader (``_readers``) places every move of every generator at once: a posterior over
a rotation's 24 bins, say. Asked whether digits translated about the canvas were turned upside
down, it read "no difference" (TV 0.04 at 180 degrees, where the truth is above 1/2): learning
the bins from arbitrary angles, it had learned a stroke's axis but not its direction, and the
data read as invariant under the half turn, a false C2. Invariance cannot be told from
blindness on the data alone, so a claim that a discrete move leaves the data unchanged (a
discrete generator present, or a power of one invariant: C3 inside C6) is checked by a reader
trained on that question alone: the training split (at most MAX_TRAIN inputs), half of it
moved by +-g^k and half in the reference arm, a cross-entropy on which is which. Forty epochs
take one to three CPU seconds and read the half turn of those digits at TV 0.67, the mirror of
digits at every angle at 0.58, and truly invariant data (mirror-symmetric digits, textures
oriented both ways) at 0.

Scored like the main test: every held-out input in the reference arm and moved, the paired
difference of "says moved". The reader never saw the held-out splits, so the differences are
independent and their mean is a lower bound of the TV, like the main reader's. It *vetoes* a
claim where it shows, at level alpha, a TV above the margin: evidence that the move takes the
data out of the margin, which the first reader missed. A veto only drops claims, so the
family-wise level of the claims stands; and a partial symmetry inside the margin (waveforms
shifted within +-4 positions: TV 0.11 per position) keeps its claim, which requiring both
readers to show TV below the margin would have cost at a few hundred held-out inputs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from pipeline.discovery._mover import Conditioner, Mover
from pipeline.discovery._readers import Reader
from pipeline.discovery._twosample import mean_above_p

EPOCHS = 40
MAX_TRAIN = 600  # training inputs (a random subset beyond): one move is an easy question
BATCH = 64
LR = 3e-3


def confirming_differences(
    mover: Mover,
    conditioner: Conditioner,
    p: int,
    j: int,
    train: tuple[Tensor, Tensor],
    folds: list[tuple[Tensor, Tensor]],
    seed: int,
) -> Tensor:
    """Paired differences on the held-out ``folds`` (concatenated) of a binary reader of probe
    p's step j, trained on ``train``."""
    rng = torch.Generator().manual_seed(seed * 1009 + p * 31 + j)
    reader = _trained(mover, conditioner, p, j, train, rng, seed)
    found = []
    with torch.no_grad():
        for x, y in folds:
            says = [
                _says_moved(reader, conditioner, *mover.arm(p, j, x, y, moved, rng))
                for moved in (False, True)
            ]
            found.append((says[1].float() - says[0].float()).cpu())
    return torch.cat(found)


def _trained(
    mover: Mover,
    conditioner: Conditioner,
    p: int,
    j: int,
    train: tuple[Tensor, Tensor],
    rng: torch.Generator,
    seed: int,
) -> Reader:
    x, y = train
    if len(x) > MAX_TRAIN:
        keep = torch.randperm(len(x), generator=rng)[:MAX_TRAIN].to(x.device)
        x, y = x[keep], y[keep]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # layer initializers draw from the global generator
        reader = Reader(mover.kind, tuple(x.shape[1:]), conditioner.size, [2]).to(x.device)
    optimizer = torch.optim.Adam(reader.parameters(), lr=LR)
    reader.train()
    for _ in range(EPOCHS):
        order = torch.randperm(len(x), generator=rng).to(x.device)
        for start in range(0, len(x), BATCH):
            batch = order[start : start + BATCH]
            moved = torch.rand(len(batch), generator=rng) < 0.5
            xb, yb = _mixed_arms(mover, p, j, x[batch], y[batch], moved, rng)
            logits = reader(xb, conditioner(yb))[0]
            loss = F.cross_entropy(logits, moved.long().to(logits.device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return reader.eval()


def _mixed_arms(
    mover: Mover, p: int, j: int, x: Tensor, y: Tensor, moved: Tensor, rng: torch.Generator
) -> tuple[Tensor, Tensor]:
    """Rows where ``moved`` moved by +-step j, the others in the reference arm."""
    out_x, out_y = x.clone(), y.clone()
    for flag in (False, True):
        rows = (moved == flag).nonzero().squeeze(1).to(x.device)
        if len(rows):
            out_x[rows], out_y[rows] = mover.arm(p, j, x[rows], y[rows], flag, rng)
    return out_x, out_y


def _says_moved(reader: Reader, conditioner: Conditioner, x: Tensor, y: Tensor) -> Tensor:
    return reader(x, conditioner(y))[0].argmax(dim=1) == 1


def vetoes(differences: Tensor, margin: float, alpha: float) -> bool:
    """The second reader shows the move's TV above ``margin`` (one-sided, level ``alpha``)."""
    return len(differences) > 1 and mean_above_p(differences, margin) <= alpha
