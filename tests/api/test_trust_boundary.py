"""The trust boundary: factories named in stored data (trials rows, sweep records) are never
imported by reading commands, and by resume and load_model only where the user allows them."""

import json
import sys
import uuid

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import SymsearchError
from pipeline.store import StoreWriter, open_store

runner = CliRunner()
ROW = {"status": "completed", "val_metric": 0.5, "metric_mode": "max", "candidate_group": "x"}


def plant(folder, marker) -> str:
    """A module in ``folder`` that leaves ``marker`` behind when imported; its factory path."""
    module = f"planted_{uuid.uuid4().hex[:10]}"
    (folder / f"{module}.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\ndef make(*args):\n    return None\n"
    )
    return f"{module}:make"


@pytest.fixture
def planted(tmp_path, monkeypatch):
    """A store whose one trials row names a planted group factory; the working directory holds
    the module, as a downloaded store's folder might."""
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "marker"
    factory = plant(tmp_path, marker)
    config = {"dataset": {"name": "signals"}, "candidate_group": f"{factory}*trivial", "seed": 3}
    store = str(tmp_path / "store")
    writer = StoreWriter(open_store(store), "p", "t1", 1)
    writer.add("trials", {**ROW, "config_json": json.dumps(config)})
    writer.flush()
    return store, factory, marker


def test_best_never_imports_a_factory_a_row_names(planted):
    store, factory, marker = planted
    done = runner.invoke(app, ["best", "p", "--store", store, "--format", "json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["trial"]["candidate_group"] == f"{factory}*trivial"
    assert not marker.exists()


def test_load_model_imports_a_stored_factory_only_when_allowed(planted):
    from pipeline.api import Sweep

    store, factory, marker = planted
    with pytest.raises(SymsearchError, match=r"not imported.*--allow-factory") as refused:
        Sweep("p", store).load_model("t1")
    assert "\n" not in str(refused.value) and not marker.exists()
    with pytest.raises(SymsearchError):  # allowed: imported, then its factory returns None
        Sweep("p", store).load_model("t1", allow_factories=[factory])
    assert marker.exists()


def test_allow_list_of_the_wrong_type_is_a_user_error(planted):
    from pipeline.api import Sweep

    with pytest.raises(SymsearchError, match="allow_factories: expected a list"):
        Sweep("p", planted[0]).load_model("t1", allow_factories="a:b")


def record_naming(store, name, dataset) -> None:
    from pipeline.sweep._record import SweepRecord

    space = {"dataset": dataset, "trial": {"epochs": 1}, "num_samples": 2}
    record = SweepRecord(
        name=name, space=space, space_path="", store=store, storage_path=f"{store}-ray"
    )
    record.add_segment(2)
    record.save()


def test_resume_refuses_a_factory_the_record_names_unless_allowed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(tmp_path / "outputs"))
    marker = tmp_path / "marker"
    factory = plant(tmp_path, marker)
    store = str(tmp_path / "store")
    record_naming(store, "r", {"factory": factory})
    done = runner.invoke(app, ["resume", "r", "--store", store])
    assert done.exit_code == 2, done.output
    assert "not imported" in done.output and done.output.strip().count("\n") == 0
    assert not marker.exists()
    trusted = runner.invoke(app, ["resume", "r", "--store", store, "--trust-store"])
    assert trusted.exit_code == 2 and "returned NoneType" in trusted.output  # imported this time
    assert "warning: --trust-store" in trusted.output and marker.exists()


def test_the_working_directory_never_stays_on_sys_path(tmp_path, monkeypatch):
    from pipeline.data import load_factory

    monkeypatch.chdir(tmp_path)
    factory = plant(tmp_path, tmp_path / "marker")
    assert callable(load_factory(factory))  # a module beside the space is found (user's own)
    assert str(tmp_path) not in sys.path


def test_a_model_factory_in_stored_data_is_imported_only_when_allowed(tmp_path, monkeypatch):
    """``model: {factory: ...}`` in a record or a row is someone else's code, like a data or
    group factory: resume and load_model refuse it in one line unless allowed."""
    from pipeline.api import Sweep
    from pipeline.sweep._record import SweepRecord

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(tmp_path / "outputs"))
    marker = tmp_path / "marker"
    factory = plant(tmp_path, marker)
    store = str(tmp_path / "store")
    signals = {"name": "signals", "length": 16, "n_samples": 120}
    space = {"dataset": signals, "model": {"factory": factory}, "trial": {"epochs": 1}}
    record = SweepRecord(
        name="m", space=space, space_path="", store=store, storage_path=f"{store}-ray"
    )
    record.add_segment(2)
    record.save()
    done = runner.invoke(app, ["resume", "m", "--store", store])
    assert done.exit_code == 2 and "model.factory" in done.output and "not imported" in done.output
    assert not marker.exists()
    config = {"dataset": signals, "model": {"factory": factory}}
    writer = StoreWriter(open_store(store), "m", "t1", 1)
    writer.add("trials", {**ROW, "config_json": json.dumps(config)})
    writer.flush()
    save_empty_state(store, "m", "t1")
    with pytest.raises(SymsearchError, match=r"model\.factory .*not imported"):
        Sweep("m", store).load_model("t1")
    assert not marker.exists()
    with pytest.raises(SymsearchError, match=r"returned NoneType, expected a torch\.nn\.Module"):
        Sweep("m", store).load_model("t1", allow_factories=[factory])
    assert marker.exists()


def save_empty_state(store, sweep, trial_id):
    """A readable saved state (no weights): load_model gets as far as building the model."""
    import io

    import torch

    from pipeline.store import write_blob
    from pipeline.sweep import state_name
    from pipeline.trial import TrialState

    buffer = io.BytesIO()
    torch.save(TrialState(1, [], {}, {}, {}, {}).to_dict(), buffer)
    write_blob(open_store(store), state_name(sweep, trial_id), buffer.getvalue())
