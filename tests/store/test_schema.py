"""The readout columns: a learned generator's matrix and the span's figures survive the store."""

from pipeline.store import StoreWriter, open_store, read_table


def test_learned_matrices_span_figures_and_discovery_notes_round_trip(tmp_path):
    store = open_store(str(tmp_path / "store"))
    writer = StoreWriter(store, "s", "t1", 1)
    writer.add(
        "trials",
        {
            "status": "completed",
            "discovered_group": None,
            "discovery_correct": False,
            "discovery_note": "at chance",
            "learned_rank": 1,
            "true_lie_dim": 2,
            "span_cosine": 0.0,
            "closure_residual": 0.0,
        },
    )
    matrix = [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    writer.add("discovery", {"generator": "L0", "cosine": 1.0, "matrix": matrix, "matrix_dim": 3})
    writer.add("discovery", {"generator": "rot", "cosine": None})
    writer.flush()
    trial = read_table(store, "trials").to_pylist()[0]
    assert trial["discovery_note"] == "at chance" and trial["discovered_group"] is None
    assert (trial["learned_rank"], trial["true_lie_dim"], trial["span_cosine"]) == (1, 2, 0.0)
    rows = {r["generator"]: r for r in read_table(store, "discovery").to_pylist()}
    assert rows["L0"]["matrix"] == matrix and rows["L0"]["matrix_dim"] == 3
    assert rows["rot"]["matrix"] is None and rows["rot"]["matrix_dim"] is None
