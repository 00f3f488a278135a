"""``Sweep.predictor``: a stored trial as a function of raw inputs of its dataset's kind (raw
8x8 digits), applying the dataset's own preprocessing and the trial's averaging."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from typer.testing import CliRunner

from pipeline.api import Sweep
from pipeline.cli import app
from pipeline.data import build_dataset
from pipeline.errors import SymsearchError

runner = CliRunner()
SPACE = """
dataset: {name: digits, limit: 150}
trial: {epochs: 1, batch_size: 32, eval_samples: 2, robustness: none, discovery: widths,
        candidate_group: C4, tolerance: 0}
"""


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("predictor")
    (folder / "digits.yaml").write_text(SPACE)
    store = str(folder / "store")
    done = runner.invoke(
        app, ["trial", str(folder / "digits.yaml"), "--store", store, "--name", "d"]
    )
    assert done.exit_code == 0, done.output
    return Sweep("d", store)


def test_raw_digits_are_preprocessed_as_the_dataset_was(sweep):
    predictor = sweep.predictor()
    raw = load_digits().images[:150]  # (150, 8, 8), ink levels 0..16, as scikit-learn gives
    upright = build_dataset({"name": "digits", "limit": 150}, 0)
    network_inputs = torch.cat([upright.train.inputs, upright.val.inputs, upright.test.inputs])
    prepared = predictor.preprocess(raw)
    assert prepared.shape == (150, 1, 24, 24)
    # the splits are a permutation of the digits: every prepared image is one the data holds
    assert torch.allclose(
        prepared.flatten(1).sort(dim=0).values, network_inputs.flatten(1).sort(dim=0).values
    )


def test_the_predictor_is_the_trials_averaged_prediction_on_raw_inputs(sweep):
    predictor = sweep.predictor()
    model = predictor.model
    raw = load_digits().images[:20]
    expected = model(predictor.preprocess(raw))
    assert torch.allclose(predictor(raw), expected)
    assert torch.allclose(predictor(raw, averaged=False), model(predictor.preprocess(raw), False))
    assert not torch.allclose(predictor(raw), predictor(raw, averaged=False))  # over all of C4
    assert torch.allclose(predictor(load_digits().data[:20]), expected)  # flattened rows
    assert torch.allclose(predictor(raw[3]), expected[3])  # one example: no batch dimension
    assert predictor.labels(raw).tolist() == expected.argmax(-1).tolist()
    with pytest.raises((RuntimeError, ValueError)):
        model(torch.as_tensor(raw, dtype=torch.float32))  # the network alone cannot take them


@pytest.mark.parametrize(
    "raw", [np.zeros((2, 7, 7)), np.zeros((24, 24)), [[1, 2], [3]], np.zeros((0, 8, 8))]
)
def test_inputs_that_are_not_raw_examples_are_one_line(sweep, raw):
    with pytest.raises(SymsearchError, match="raw inputs") as error:
        sweep.predictor()(raw)
    assert "\n" not in str(error.value)


def test_data_without_preprocessing_take_the_inputs_as_they_are():
    from pipeline.api import Predictor

    class Fake:  # a TrainedModel's face: the dataset and the call
        dataset = build_dataset({"name": "signals", "length": 16, "n_samples": 40}, 0)

        def __call__(self, x, averaged=True):
            return x.sum(dim=(1, 2))

    predictor = Predictor(Fake())
    x = Fake.dataset.test.inputs
    assert predictor.raw_shape == (1, 16) and torch.equal(predictor(x), x.sum(dim=(1, 2)))
