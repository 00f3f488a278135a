"""LearnableAugmentation: gradients reach widths and logits, sampling, regularizer, readout."""

import math

import pytest
import torch

from pipeline.actions import act
from pipeline.groups import get_group
from pipeline.methods.augment import LearnableAugmentation, inverse_softplus


def augmentation(name, kind="image", **options):
    return LearnableAugmentation(get_group(name).to(dtype=torch.float32), kind, **options)


@pytest.mark.parametrize("prior", ["uniform", "gaussian"])
@pytest.mark.parametrize(
    ("name", "kind", "shape"),
    [
        ("affine2", "image", (4, 1, 16, 16)),
        ("SO2*flip", "image", (4, 1, 16, 16)),
        ("O2", "points", (4, 5, 2)),
        ("shift8*flip", "sequence", (4, 2, 8)),
        ("T2*D4*flip", "lattice", (4, 6, 6)),
        ("learned2", "points", (4, 5, 2)),
    ],
)
def test_gradients_reach_every_width_and_logit(name, kind, shape, prior):
    size = {"lattice_size": shape[-1]} if kind == "lattice" else {}
    aug = augmentation(name, kind, prior=prior, **size)
    rng = torch.Generator().manual_seed(0)
    x = torch.randn(shape, generator=rng)
    moved, elements = aug(x, rng)
    (moved * torch.randn(shape, generator=rng)).sum().backward()
    if aug.group.lie_dim and kind != "lattice":
        assert torch.isfinite(aug.raw_widths.grad).all() and (aug.raw_widths.grad != 0).all()
    for logits in [*aug.logits, *aug.shift_logits]:  # lattices: translations by whole sites
        assert torch.isfinite(logits.grad).all() and (logits.grad != 0).any()
    assert torch.allclose(moved, act(aug.group, elements, x, kind), atol=1e-4)


def test_learned_bases_are_parameters_fixed_bases_are_not():
    learned = augmentation("learned2")
    assert any(p is learned.basis for p in learned.parameters())
    fixed = augmentation("SO2")
    assert not any(p is fixed.basis for p in fixed.parameters())


def test_uniform_coefficients_stay_within_the_width():
    aug = augmentation("affine2", init_width=0.2)
    coefficients = aug.sample_coefficients(5000, torch.Generator().manual_seed(0))
    bound = 0.2 * aug.ranges
    assert (coefficients.abs() <= bound + 1e-6).all()
    assert (coefficients.abs().amax(dim=0) > 0.95 * bound).all()  # and fill it


def test_gaussian_coefficients_have_the_width_as_spread():
    aug = augmentation("SO2", prior="gaussian", init_width=0.3)
    coefficients = aug.sample_coefficients(20000, torch.Generator().manual_seed(0))
    assert coefficients.std().item() == pytest.approx(0.3 * math.pi, rel=0.03)


def test_sampling_is_reproducible():
    aug = augmentation("D4*flip")
    a = aug.sample_elements(16, torch.Generator().manual_seed(3))
    b = aug.sample_elements(16, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_regularizer_rewards_wider_distributions():
    narrow, wide = augmentation("O2", init_width=0.1), augmentation("O2", init_width=1.0)
    assert wide.regularizer() < narrow.regularizer() < 0


def _set_widths(aug, widths):
    with torch.no_grad():
        aug.raw_widths.copy_(torch.tensor([inverse_softplus(w) for w in widths]))


@pytest.mark.parametrize(
    ("widths", "name"),
    [
        ([0.05, 0.05, 1.2, 0.1, 0.1, 0.1], "SO2"),
        ([0.05, 0.05, 0.1, 0.1, 0.1, 0.1], "trivial"),
        ([0.7, 0.05, 1.2, 0.1, 0.1, 0.1], "SO2*T2"),  # a turn and one shift generate SE(2)
        ([0.7, 0.05, 0.1, 0.1, 0.1, 0.1], "Tx"),  # exactly the span: one translation
        ([0.7, 0.7, 1.2, 0.1, 0.1, 0.1], "SO2*T2"),
        ([0.05, 0.05, 0.1, 0.1, 0.9, 0.1], "affine2[stretch]"),  # no catalog name: never affine2
        ([0.05, 0.05, 0.1, 0.6, 0.1, 0.1], "scale"),
    ],
)
def test_readout_names_the_span_of_active_generators(widths, name):
    aug = augmentation("affine2")
    _set_widths(aug, widths)
    readout = aug.readout()
    assert readout.discovered_group == name
    rot = next(g for g in readout.generators if g.generator == "rot")
    assert rot.learned_width == pytest.approx(widths[2] * math.pi, rel=1e-5)
    assert rot.normalized_width == pytest.approx(widths[2], rel=1e-5)


@pytest.mark.parametrize(
    ("logits", "name"),
    [
        ([5.0, -5.0, -5.0, -5.0], "trivial"),
        ([0.0, 0.0, 0.0, 0.0], "C4"),
        ([3.0, -9.0, 3.0, -9.0], "C2"),
    ],
)
def test_discrete_readout_finds_the_subgroup_carrying_the_mass(logits, name):
    aug = augmentation("C4")
    with torch.no_grad():
        aug.logits[0].copy_(torch.tensor(logits))
    assert aug.readout().discovered_group == name


def test_the_threshold_is_configurable():
    aug = augmentation("SO2", init_width=0.3)
    assert aug.readout(0.5).discovered_group == "trivial"
    assert aug.readout(0.25).discovered_group == "SO2"


def test_bad_prior_and_width_are_refused():
    with pytest.raises(ValueError, match="prior"):
        augmentation("SO2", prior="cauchy")
    with pytest.raises(ValueError, match="init_width"):
        augmentation("SO2", init_width=0.0)


def test_a_point_mass_on_a_non_identity_element_is_no_symmetry():
    aug = augmentation("O2")
    with torch.no_grad():
        aug.logits[0].copy_(torch.tensor([-9.0, 9.0]))  # always mirror
    mirror = next(g for g in aug.readout().generators if g.generator == "mirror")
    assert mirror.normalized_width < 0.01 and not mirror.active


# -- learned bases (SEMoLA) ---------------------------------------------------------------------

from pipeline.methods.learned_spans import learned_cosines  # noqa: E402

ROTATION = torch.tensor([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])


def test_learned_bases_start_seeded_with_equal_norms_and_stay_affine():
    a, b = augmentation("learned3", seed=1), augmentation("learned3", seed=2)
    assert not torch.equal(a.basis, b.basis)
    norms = a.normalized_basis().flatten(1).norm(dim=1)
    assert torch.allclose(norms, torch.ones(3))
    assert (a.normalized_basis()[:, -1, :] == 0).all()  # bottom row stays zero: exp is affine


def test_orthogonality_penalty_sees_aligned_generators():
    aug = augmentation("learned2")
    with torch.no_grad():
        aug.basis.copy_(torch.stack([ROTATION, 2 * ROTATION]))
    orthogonality, sparsity = aug.basis_penalties()
    assert orthogonality.item() == pytest.approx(1.0) and sparsity.item() > 0
    with torch.no_grad():
        aug.basis[1] = torch.tensor([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 0]])
    assert aug.basis_penalties()[0].item() == pytest.approx(0.0)


def test_cosines_compare_learned_generators_with_the_true_algebra():
    aug = augmentation("learned2")
    with torch.no_grad():
        aug.basis.copy_(
            torch.stack([3 * ROTATION, torch.tensor([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 0]])])
        )
    cosines = learned_cosines(aug, get_group("SO2*S5"))
    assert cosines[0] == pytest.approx(1.0) and cosines[1] == pytest.approx(0.0, abs=1e-6)
    assert learned_cosines(aug, get_group("trivial")) == [0.0, 0.0]
    assert learned_cosines(augmentation("affine2"), get_group("SO2")) == [None] * 6


def test_gradients_reach_a_learned_basis():
    aug = augmentation("learned2", "points")
    x = torch.randn(8, 5, 2)
    moved, _ = aug(x, torch.Generator().manual_seed(0))
    (moved * torch.randn_like(moved)).sum().backward()
    assert aug.basis.grad is not None and aug.basis.grad.abs().sum() > 0


# -- lattices: translations move whole sites ------------------------------------------------------

from pipeline.methods.symmetrize import loss  # noqa: E402
from pipeline.space import make_config  # noqa: E402
from pipeline.trial import build  # noqa: E402


def _ising_setup(candidate="T2*D4*flip"):
    return build(
        make_config(
            {
                "dataset": {"name": "ising", "size": 6, "n_samples": 64},
                "candidate_group": candidate,
                "seed": 0,
            }
        )
    )


def _translation_widths(aug):
    return aug.widths.detach().clone()  # one per algebra generator: tx, ty


@pytest.mark.parametrize("candidate", ["T2", "T2*D4*flip"])
def test_the_task_gradient_reaches_lattice_translations(candidate):
    # Whatever parameterizes the translations, one step on the task loss alone must move them.
    setup = _ising_setup(candidate)
    aug, rng = setup.augmentation, torch.Generator().manual_seed(0)
    x, y = setup.dataset.train.inputs[:32], setup.dataset.train.targets[:32]
    before = _translation_widths(aug)
    moved, _ = aug(x, rng)
    loss(setup.task, setup.model(moved), y).backward()
    torch.optim.SGD(aug.parameters(), lr=1.0).step()
    change = (_translation_widths(aug) - before).abs()
    assert (change > 1e-4).all(), f"translation widths {before.tolist()} moved by {change.tolist()}"


def test_a_task_that_translations_hurt_narrows_them():
    setup = _ising_setup("T2")
    aug, rng = setup.augmentation, torch.Generator().manual_seed(0)
    optimizer = torch.optim.Adam(aug.parameters(), lr=0.1)
    before = _translation_widths(aug)
    for _ in range(12):
        x = setup.dataset.train.inputs[:32]
        moved, _ = aug(x, rng)
        optimizer.zero_grad()
        ((moved - x) ** 2).mean().backward()  # any move changes the spins
        optimizer.step()
    after = _translation_widths(aug)
    assert (after < before - 0.2).all(), (before.tolist(), after.tolist())


def test_lattice_translations_are_whole_site_shifts_with_a_readable_spread():
    aug = augmentation("T2", "lattice", init_width=0.5, lattice_size=6)
    assert aug.widths.tolist() == pytest.approx([0.5, 0.5])
    g = aug.sample_elements(500, torch.Generator().manual_seed(0))
    sites = g[:, :2, 2] * 6 / 2
    assert torch.equal(sites, sites.round()) and set(sites.flatten().tolist()) == set(range(6))
    with torch.no_grad():
        aug.shift_logits[0].copy_(torch.tensor([9.0, -9, -9, -9, -9, -9]))  # tx: never moves
        aug.shift_logits[1].zero_()  # ty: uniform
    readout = aug.readout()
    assert [g.active for g in readout.generators] == [False, True]
    assert readout.generators[1].learned_width == pytest.approx(5 / 6)  # 1 - max p


def test_lattice_translations_need_the_lattice_size():
    with pytest.raises(ValueError, match="lattice_size"):
        augmentation("T2", "lattice")


TRANSLATION = torch.tensor([[0.0, 0.0, 1.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])


def test_catalog_reach_of_a_learned_direction_is_the_catalogs_natural_range():
    aug = augmentation("learned2")
    with torch.no_grad():
        aug.basis.copy_(torch.stack([5 * ROTATION, ROTATION + 3 * TRANSLATION]))
    reach = aug.catalog_reach()
    assert reach[0].item() == pytest.approx(math.pi * math.sqrt(2))  # pi of a unit-norm rotation
    mixed = (2 / 11) * 2 * math.pi**2 + 9 / 11  # cosines^2 2/11 (rotation), 9/11 (translation)
    assert reach[1].item() == pytest.approx(math.sqrt(mixed), rel=1e-5)
    assert torch.equal(augmentation("SO2").catalog_reach(), torch.ones(1))


def test_release_restarts_learned_widths_at_init_width_of_their_reach():
    aug = augmentation("learned2", init_width=0.3)
    with torch.no_grad():
        aug.basis.copy_(torch.stack([ROTATION, TRANSLATION]))
        aug.raw_widths.copy_(torch.tensor([inverse_softplus(0.05), inverse_softplus(0.9)]))
    aug.release_widths()
    expected = [0.3 * math.pi * math.sqrt(2), 0.9]  # collapsed: restarted; wider: kept
    assert aug.widths.tolist() == pytest.approx(expected, rel=1e-5)
    fixed = augmentation("SO2", init_width=0.3)
    before = fixed.widths.clone()
    fixed.release_widths()
    assert torch.equal(fixed.widths, before)


@pytest.mark.parametrize("hold", [True, False])
def test_after_a_step_the_basis_is_unit_norm_and_held_widths_do_not_shrink(hold):
    aug = augmentation("learned2", init_width=0.3)
    with torch.no_grad():
        aug.basis.mul_(torch.tensor([3.0, 0.2])[:, None, None])
        aug.raw_widths.copy_(torch.tensor([inverse_softplus(0.1), inverse_softplus(0.7)]))
    aug.after_step(hold_widths=hold)
    norms = (aug.basis * aug.basis_mask).flatten(1).norm(dim=1)
    assert norms.tolist() == pytest.approx([1.0, 1.0])
    assert aug.widths.tolist() == pytest.approx([0.3 if hold else 0.1, 0.7], rel=1e-5)


def test_only_learned_generators_are_held():
    aug = augmentation("SO2", init_width=0.3)
    with torch.no_grad():
        aug.raw_widths.fill_(inverse_softplus(0.1))
    aug.after_step(hold_widths=True)
    assert aug.widths.item() == pytest.approx(0.1)
    assert aug.basis_parameters() == [] and len(aug.distribution_parameters()) == 1
