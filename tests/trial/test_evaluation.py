"""Evaluation: which shifted test sets the training data already covered, how learned spans
are judged, and when a trial may claim a discovery at all."""

import math

import pytest
import torch

from pipeline.data import build_dataset, shift_grid
from pipeline.groups import get_group
from pipeline.methods.symmetrize import Task
from pipeline.space import make_config
from pipeline.trial import build, chance_level, chance_note, evaluate, evaluate_split, in_support
from pipeline.trial._evaluate import _discovery


def _support_by_shift(dataset, group_name):
    group = get_group(group_name).to(dtype=torch.float32)
    shifts = shift_grid(group, "image")
    return {(s.generator, s.magnitude): in_support(dataset, s, group) for s in shifts}


def test_partial_rotation_is_in_support_up_to_its_angle_only():
    dataset = build_dataset(
        {"name": "digits", "transform": "rotation", "max_angle": 45, "limit": 50}, 0
    )
    support = _support_by_shift(dataset, "SO2")
    assert all(support[("rot", m)] == (m <= 45) for _, m in support)


def test_full_true_group_is_in_support_and_other_generators_only_at_identity():
    dataset = build_dataset({"name": "digits", "transform": "SO2", "limit": 50}, 0)
    support = _support_by_shift(dataset, "affine2")
    assert all(inside for (g, _), inside in support.items() if g == "rot")
    others = {(g, m): inside for (g, m), inside in support.items() if g != "rot"}
    assert others and all(inside == (m in (0.0, 1.0)) for (_, m), inside in others.items())


# -- discovery readout: learned spans and trials that learned nothing ----------------------------

PLANE = {
    "tx": [[0.0, 0, 1], [0, 0, 0], [0, 0, 0]],
    "ty": [[0.0, 0, 0], [0, 0, 1], [0, 0, 0]],
    "rot": [[0.0, -1, 0], [1, 0, 0], [0, 0, 0]],
}


def _learned_setup(generators, true_transform="T2"):
    """A learned<k> candidate on shifted digits, its basis set by hand and every width active."""
    setup = build(
        make_config(
            {
                "dataset": {"name": "digits", "transform": true_transform, "limit": 60},
                "candidate_group": f"learned{len(generators)}",
                "robustness": "none",
                "eval_samples": 1,
            }
        )
    )
    with torch.no_grad():
        setup.augmentation.basis.copy_(torch.tensor([PLANE[g] for g in generators]))
        setup.augmentation.raw_widths.fill_(5.0)  # normalized width ~5: all active
    return setup


def _evaluate(setup, val_metric=None):
    val = setup.dataset.val
    if val_metric is None:
        val_metric = evaluate_split(setup, val.inputs, val.targets, None)
    return evaluate(setup, [{"val_metric": val_metric}], 0.0)


@pytest.mark.parametrize(
    ("generators", "right"),
    [
        (["tx", "tx"], False),  # rank 1: a single translation is not T2
        (["tx", "ty"], True),
        (["ty", "tx"], True),
        (["tx", "rot"], False),
    ],
)
def test_learned_generators_discover_t2_only_when_their_span_is_t2(generators, right):
    _, _, correct, span = _discovery(_learned_setup(generators))
    assert correct is right
    assert span.rank == len(set(generators)) and span.true_dim == 2
    assert (span.cosine >= 0.9) is right


def test_discovery_rows_carry_the_learned_matrices_and_the_span_its_closure_residual():
    rows, _, _, closed = _discovery(_learned_setup(["tx", "ty"]))
    assert [r["matrix_dim"] for r in rows] == [3, 3]
    assert torch.allclose(torch.tensor(rows[1]["matrix"]).reshape(3, 3), torch.tensor(PLANE["ty"]))
    assert closed.closure_residual == pytest.approx(0.0, abs=1e-6)  # [tx, ty] = 0
    _, _, _, open_span = _discovery(_learned_setup(["rot", "tx"]))
    assert open_span.closure_residual > 0.5  # [rot, tx] = ty lies outside the span


def test_the_trials_row_records_the_learned_span():
    trial = _evaluate(_learned_setup(["tx", "tx"]), val_metric=0.99).trial
    assert trial["discovery_correct"] is False
    assert (trial["learned_rank"], trial["true_lie_dim"]) == (1, 2)
    assert trial["span_cosine"] == 0.0 and trial["closure_residual"] == 0.0
    assert trial["discovery_note"] is None


def _c4_setup():
    """An untrained model with a uniform distribution over C4 on digits (chance level)."""
    setup = build(
        make_config(
            {
                "dataset": {"name": "digits", "transform": "C4", "limit": 200},
                "candidate_group": "C4",
                "robustness": "none",
                "eval_samples": 1,
                "discovery": "widths",  # the widths decide: a model at chance must claim nothing
            }
        )
    )
    with torch.no_grad():
        for logits in setup.augmentation.logits:
            logits.zero_()  # uniform over the four rotations: normalized width 1
    return setup


def test_a_trial_at_chance_claims_no_discovery():
    result = _evaluate(_c4_setup())  # untrained: about 1 in 10 digits right
    assert result.discovery[0]["normalized_width"] == pytest.approx(1.0)
    assert result.trial["val_metric"] < 0.25
    assert result.trial["discovered_group"] is None
    assert result.trial["discovery_correct"] is False
    assert "chance" in result.trial["discovery_note"]


def test_chance_levels_are_the_best_answers_that_ignore_the_input():
    accuracy = Task("image", "classification", "accuracy", None)
    level, error = chance_level(accuracy, torch.tensor([0, 1, 1, 1, 2, 1, 0, 1]))
    assert level == 5 / 8 and error == pytest.approx(math.sqrt(5 / 8 * 3 / 8 / 8))
    mse = Task("points", "regression", "mse", None)
    targets = torch.tensor([1.0, 3.0, 1.0, 3.0])
    assert chance_level(mse, targets) == (1.0, 0.0)  # the mean, 2, misses every target by 1
    energy = Task("lattice", "generation", "energy_per_site", "lattice")
    assert chance_level(energy, torch.ones(8, 4, 4)) == (0.0, pytest.approx(math.sqrt(2 / 128)))


def test_only_a_metric_clearly_better_than_chance_lets_a_trial_claim_a_discovery():
    setup = _c4_setup()
    chance, error = chance_level(setup.task, setup.dataset.val.targets)
    assert chance_note(setup.task, setup.dataset, chance + 2.1 * error) is None
    assert "not better than chance" in chance_note(setup.task, setup.dataset, chance + 1.9 * error)
    assert setup.augmentation.readout().discovered_group == "C4"  # what a claim would name


@pytest.mark.slow  # trains a small CNN for two epochs
def test_a_c4_candidate_that_erases_the_label_claims_no_c4():
    # Labels are orientations: a uniform C4 augmentation leaves the model at chance, and its
    # rot4 width at 1, which once read as the discovery of C4.
    from pipeline.trial import run_trial

    result = run_trial(
        {
            "dataset": {"factory": "tests.trial_factories:oriented_digits", "limit": 200},
            "candidate_group": "C4",
            "epochs": 2,
            "robustness": "none",
            "eval_samples": 1,
            "discovery": "widths",
        }
    )  # the widths decide here
    assert result.discovery[0]["normalized_width"] > 0.9
    assert result.trial["discovered_group"] is None and result.trial["discovery_note"]


def test_learned_averaging_is_one_fixed_set_per_seed():
    from pipeline.methods.symmetrize import predict
    from pipeline.space import make_config
    from pipeline.trial import build, learned_averaging

    setup = build(
        make_config(
            {
                "dataset": {"name": "signals", "length": 16, "n_samples": 60},
                "candidate_group": "shift16",
                "init_width": 1.0,
            }
        )
    )
    setup.model.eval()
    averaging = learned_averaging(setup, 4, seed=5)
    assert averaging.k == 4 and averaging.tolerance_met is None
    x = setup.dataset.test.inputs[:8]
    h = predict(setup.model, setup.candidate, setup.task, x, averaging)
    assert torch.equal(predict(setup.model, setup.candidate, setup.task, x, averaging), h)
    assert torch.equal(learned_averaging(setup, 4, seed=5).elements, averaging.elements)
