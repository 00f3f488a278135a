"""The Pareto front of validation metric against robustness."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.analysis._pareto import pareto_front, pareto_plot


def trials(points, status="completed"):
    return pd.DataFrame(
        [
            {
                "trial_id": f"t{i}",
                "status": status,
                "candidate_group": "SO2",
                "val_metric": v,
                "robustness": r,
            }
            for i, (v, r) in enumerate(points)
        ]
    )


def test_the_front_holds_the_trials_no_other_beats_on_both(tmp_path):
    front = pareto_front(trials([(0.9, 0.2), (0.7, 0.6), (0.6, 0.5), (0.8, 0.6)]))
    assert set(front.loc[front["on_front"], "trial_id"]) == {"t0", "t3"}
    assert list(front["trial_id"][:2]) == ["t0", "t3"]  # the front first, best metric first
    assert pareto_plot(front, "accuracy", tmp_path / "pareto.png").stat().st_size > 0


def test_directions_stopped_trials_and_a_sweep_without_robustness():
    front = pareto_front(trials([(0.1, 0.1), (0.2, 0.2), (0.3, 0.05)]), mode="min")
    assert set(front.loc[front["on_front"], "trial_id"]) == {"t0", "t2"}
    stopped = pd.concat([trials([(0.5, 0.5)]), trials([(0.9, 0.9)], "stopped")])
    assert list(pareto_front(stopped)["val_metric"]) == [0.5]
    assert pareto_front(trials([(0.5, 0.5)]).drop(columns="robustness")).empty


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=12))
def test_front_members_are_undominated_and_every_other_trial_is_dominated(points):
    front = pareto_front(trials(points))
    on = front[front["on_front"]][["val_metric", "robustness"]].to_numpy()
    off = front[~front["on_front"]][["val_metric", "robustness"]].to_numpy()
    assert len(on) >= 1

    def beats(a, b):
        return a[0] >= b[0] and a[1] >= b[1] and (a[0] > b[0] or a[1] > b[1])

    everything = front[["val_metric", "robustness"]].to_numpy()
    assert not any(beats(o, p) for p in on for o in everything)
    assert all(any(beats(p, q) for p in on) for q in off)
