"""SymPE: the backbone is equivariant, canonicalization is equivariant with uniform ties, and
the symmetry-breaking encoding is what lets a trial reach the antiferromagnet ground state."""

import pytest
import torch

from pipeline.actions import act
from pipeline.data.ising import energy_per_site
from pipeline.groups import get_group
from pipeline.models import build_model
from pipeline.space import SpaceError
from pipeline.sympe import SymPE, candidate_elements, with_encoding_channel
from pipeline.testing import assert_equivariant
from pipeline.trial import run_trial

LATTICE_GROUP = get_group("T2*D4*flip").to(dtype=torch.float32)
SIZE = 8


def backbone(in_shape=(SIZE, SIZE)):
    torch.manual_seed(0)
    return build_model("lattice", "generation", in_shape, None, (SIZE, SIZE), {})


def test_candidates_are_whole_site_translations_times_the_discrete_part():
    elements = candidate_elements(LATTICE_GROUP, "lattice", SIZE, seed=0)
    assert len(elements) == SIZE * SIZE * 16
    assert torch.allclose(elements[:, :2, 2] * SIZE / 2, (elements[:, :2, 2] * SIZE / 2).round())


def test_the_backbone_is_translation_equivariant():
    translations = get_group("T2").to(dtype=torch.float32)
    elements = candidate_elements(translations, "lattice", SIZE, seed=0)
    x = torch.randn(4, SIZE, SIZE)
    assert_equivariant(backbone().eval(), translations, "lattice", "lattice", x,
                       elements=elements, atol=1e-5)  # fmt: skip


def test_so_a_symmetric_input_gets_a_uniform_answer_without_sympe():
    out = backbone().eval()(torch.zeros(1, SIZE, SIZE))
    assert torch.allclose(out, out[0, 0, 0].expand_as(out), atol=1e-6)
    assert energy_per_site(torch.sign(out), coupling=-1.0).item() >= 0  # uniform: +2 (or 0)


def _sympe(seed=0):
    shape = with_encoding_channel("lattice", (SIZE, SIZE))
    return SymPE(backbone(shape), LATTICE_GROUP, "lattice", (SIZE, SIZE), seed)


def test_canonicalization_is_equivariant():
    # h(g x) = g h(x), compared as moves of the torus (matrices may differ by whole periods).
    sympe = _sympe()
    x = torch.randn(1, SIZE, SIZE)  # generic: a unique maximizer
    probe = torch.randn(1, SIZE, SIZE)
    h = sympe.canonicalize(x)[0]
    for g in sympe.elements[::97]:
        h_moved = sympe.canonicalize(act(LATTICE_GROUP, g, x, "lattice"))[0]
        expected = act(LATTICE_GROUP, g @ h, probe, "lattice")
        assert torch.equal(act(LATTICE_GROUP, h_moved, probe, "lattice"), expected)


def test_ties_of_a_symmetric_input_are_broken_uniformly():
    sympe = _sympe()
    drawn = sympe.canonicalize(torch.zeros(4096, SIZE, SIZE))
    distinct = torch.unique(drawn.flatten(1), dim=0)
    assert len(distinct) > 0.9 * len(sympe.elements)  # ~1 - 1/e^4 of 1024 for uniform draws


def test_sympe_needs_grid_data():
    config = {"dataset": {"name": "twobody", "n_samples": 50}, "symmetry_breaking": "sympe",
              "epochs": 1}  # fmt: skip
    with pytest.raises(SpaceError, match="sympe supports lattice, image, sequence"):
        run_trial(config)


@pytest.mark.parametrize(("breaking", "check"), [
    ("sympe", lambda energy: energy <= -1.5), ("none", lambda energy: energy > -0.5),
])  # fmt: skip
@pytest.mark.slow
def test_only_symmetry_breaking_reaches_the_ground_state(breaking, check):
    config = {"dataset": {"name": "ising", "task": "ground_state", "n_samples": 1000},
              "symmetry_breaking": breaking, "epochs": 20, "lr": 0.01, "eval_samples": 1,
              "val_samples": 1, "robustness": "none"}  # fmt: skip
    energy = run_trial(config).trial["test_metric"]
    assert check(energy), energy
