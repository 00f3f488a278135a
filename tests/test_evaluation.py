"""Evaluation helpers: which shifted test sets the training data already covered."""

import torch

from pipeline.data import build_dataset, shift_grid
from pipeline.evaluation import in_support
from pipeline.groups import get_group


def _support_by_shift(dataset, group_name):
    shifts = shift_grid(get_group(group_name).to(dtype=torch.float32), "image")
    return {(s.generator, s.magnitude): in_support(dataset, s) for s in shifts}


def test_partial_rotation_is_in_support_up_to_its_angle_only():
    dataset = build_dataset({"name": "digits", "transform": "rotation", "max_angle": 45,
                             "limit": 50}, 0)  # fmt: skip
    support = _support_by_shift(dataset, "SO2")
    assert all(support[("rot", m)] == (m <= 45) for _, m in support)


def test_full_true_group_is_in_support_and_other_generators_only_at_identity():
    dataset = build_dataset({"name": "digits", "transform": "SO2", "limit": 50}, 0)
    support = _support_by_shift(dataset, "affine2")
    assert all(inside for (g, _), inside in support.items() if g == "rot")
    others = {(g, m): inside for (g, m), inside in support.items() if g != "rot"}
    assert others and all(inside == (m in (0.0, 1.0)) for (_, m), inside in others.items())


def test_learned_averaging_is_one_fixed_set_per_seed():
    from pipeline.evaluation import learned_averaging
    from pipeline.space import make_config
    from pipeline.symmetrize import predict
    from pipeline.trial import build

    setup = build(make_config({"dataset": {"name": "signals", "length": 16, "n_samples": 60},
                               "candidate_group": "shift16", "init_width": 1.0}))  # fmt: skip
    setup.model.eval()
    averaging = learned_averaging(setup, 4, seed=5)
    assert averaging.k == 4 and averaging.tolerance_met is None
    x = setup.dataset.test.inputs[:8]
    h = predict(setup.model, setup.candidate, setup.task, x, averaging)
    assert torch.equal(predict(setup.model, setup.candidate, setup.task, x, averaging), h)
    assert torch.equal(learned_averaging(setup, 4, seed=5).elements, averaging.elements)
