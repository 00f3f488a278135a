"""What decides never peeks: the data test reads the training and validation splits only, and
nothing that chooses (the data test, SymPE, the robustness objective) reads the dataset's
declared group, which only scores correctness."""

import dataclasses

import pytest
import torch

from pipeline.data import Dataset, Split, build_dataset
from pipeline.discovery import TestConfig, discovery_test
from pipeline.discovery._splits import splits_for_test
from pipeline.groups import get_group
from pipeline.space import make_config
from pipeline.trial import build, train
from tests.discovery.test_discovery import _waves

QUICK = TestConfig(epochs=2, epochs_per_probe=1, seed=0)


def test_the_data_test_never_reads_the_test_split():
    data = _waves(3, True, n=150)
    poisoned = dataclasses.replace(
        data, test=Split(torch.full_like(data.test.inputs, torch.nan), data.test.targets)
    )
    group = get_group("shift16*flip")
    clean, blind = (discovery_test(d, group, QUICK) for d in (data, poisoned))
    assert [v.tv for v in clean] == [v.tv for v in blind]
    assert [v.present for v in clean] == [v.present for v in blind]


def test_the_test_splits_are_train_and_validation_only():
    data = _waves(4, True, n=150)
    reader, first, second = splits_for_test(data, max_train=1500, max_held_out=1000)
    assert reader is data.train  # a small training split: the reader takes all of it
    assert torch.equal(torch.cat([first.inputs, second.inputs]), data.val.inputs)
    reader, held, val = splits_for_test(data, max_train=40, max_held_out=1000)
    assert len(held) == len(data.val) and val is data.val  # unused training examples
    assert torch.equal(torch.cat([reader.inputs, held.inputs]), data.train.inputs)


@pytest.fixture
def no_declared_group(monkeypatch):
    """Builds a config's dataset, then makes reading its declared group fail."""

    def built(config):
        dataset = build_dataset(config.dataset, config.data_seed)  # it checks its own group

        def refuse(self):
            raise AssertionError("a decision read the declared group")

        monkeypatch.setattr(Dataset, "group", refuse)
        return dataset

    return built


def test_the_robustness_objective_and_the_data_test_never_read_the_declared_group(
    no_declared_group,
):
    config = make_config(
        {
            "dataset": {"name": "signals", "length": 16, "n_samples": 120, "transform": "shift"},
            "candidate_group": "shift16",
            "epochs": 2,
            "robustness_every": 1,
            "batch_size": 32,
            "device": "cpu",
        }
    )
    setup = build(config, no_declared_group(config))
    epochs: list = []
    train(setup, epochs, lambda row: None)
    assert all(row["robustness"] is not None for row in epochs)  # moved along shift16 only
    discovery_test(setup.dataset, setup.candidate, QUICK)


def test_sympe_canonicalizes_over_the_candidate(no_declared_group):
    config = make_config(
        {
            "dataset": {"name": "ising", "task": "ground_state", "size": 4, "n_samples": 40},
            "candidate_group": "flip",
            "symmetry_breaking": "sympe",
            "epochs": 1,
            "device": "cpu",
        }
    )
    setup = build(config, no_declared_group(config))
    assert setup.model.group.name == get_group("flip").name
