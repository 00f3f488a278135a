"""The second reader of single discrete moves (pipeline/discovery/_confirm.py): it tells moved
from unmoved where the data are not invariant, reads invariant data as such, and its verdict
vetoes an invariance claim the first reader made."""

import torch

from pipeline.data import Dataset
from pipeline.discovery import Verdict, probes
from pipeline.discovery._confirm import confirming_differences
from pipeline.discovery._mover import Conditioner, Mover
from pipeline.discovery._subgroups import name_invariant_subgroups
from pipeline.groups import get_group


def _glyphs(seed: int, mirrored_share: float, n: int = 360) -> Dataset:
    """An L and a step drawn on 12 x 12 canvases at random offsets; a share of them mirrored."""
    rng = torch.Generator().manual_seed(seed)
    shapes = torch.zeros(2, 12, 12)
    shapes[0, 2:10, 3] = 1.0
    shapes[0, 9, 3:8] = 1.0  # an L
    shapes[1, 2:5, 3] = 1.0
    shapes[1, 4, 3:7] = 1.0
    shapes[1, 4:9, 7] = 1.0  # a step
    y = torch.randint(2, (n,), generator=rng)
    shifts = torch.randint(-1, 2, (n, 2), generator=rng)
    x = torch.stack(
        [shapes[c].roll(tuple(s.tolist()), (0, 1)) for c, s in zip(y, shifts, strict=True)]
    )
    flip = torch.rand(n, generator=rng) < mirrored_share
    x[flip] = x[flip].flip(-1)
    x = x + 0.05 * torch.randn(x.shape, generator=rng)
    return Dataset.from_tensors(
        x[:, None],
        y,
        seed,
        name="glyphs",
        kind="image",
        task="classification",
        metric="accuracy",
        metric_mode="max",
        true_group="trivial",
        num_classes=2,
    )


def _mirror_tv(data: Dataset) -> float:
    group = get_group("D1").to(dtype=torch.float32)
    found = probes(group, "image")
    mover, conditioner = Mover(data, group, found, torch.device("cpu")), Conditioner(data, 0)
    train = (data.train.inputs.float(), data.train.targets)
    folds = [(split.inputs.float(), split.targets) for split in (data.val, data.test)]
    differences = confirming_differences(mover, conditioner, 0, 0, train, folds, seed=0)
    assert set(differences.unique().tolist()) <= {-1.0, 0.0, 1.0}
    return float(differences.mean())


def test_the_second_reader_reads_a_chiral_move_and_not_an_invariant_one():
    assert _mirror_tv(_glyphs(0, mirrored_share=0.0)) > 0.6  # an L is not its mirror image
    assert abs(_mirror_tv(_glyphs(0, mirrored_share=0.5))) < 0.15  # half of them mirrored


def _named(tv: list[float], second_tv: float) -> Verdict:
    found = probes(get_group("C6"), "image")
    verdict = Verdict(
        found[0].generator,
        False,
        1.0,
        0.0,
        found[0].unit,
        False,
        1.0,
        magnitudes=list(found[0].magnitudes),
        tv=tv,
        tv_error=[0.01] * len(tv),
    )
    asked = []

    def confirm(i: int, j: int) -> torch.Tensor:
        asked.append(j)
        return torch.full((400,), second_tv) + 0.01 * torch.randn(400)

    name_invariant_subgroups([verdict], found, alpha=0.05, confirm=confirm)
    assert asked == [1]  # only the power the first reader reads invariant is read again
    return verdict


def test_an_invariance_the_second_reader_tells_apart_names_no_subgroup():
    assert _named([0.9, 0.02, 0.9], second_tv=0.0).subgroup == "C3"
    assert _named([0.9, 0.02, 0.9], second_tv=0.6).invariant_order is None
