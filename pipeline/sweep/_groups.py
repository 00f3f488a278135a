"""The searcher of a batched sweep: up to K draws of the sweep's searcher per Ray Tune trial,
each under its own id (``sweep._batching``)."""

from __future__ import annotations

from typing import Any

from ray.tune.search import Searcher

from pipeline.sweep._batching import MEMBERS_KEY, member_id
from pipeline.sweep._pickled import PickledSearcher


class GroupSearch(PickledSearcher):
    """Groups up to ``size`` draws of ``inner`` into one Tune trial, at most ``budget`` draws
    in all; results reach ``inner`` under each member's id."""

    def __init__(self, inner: Searcher, size: int, budget: int) -> None:
        super().__init__(metric=inner.metric, mode=inner.mode)
        self.inner, self.size, self.budget = inner, size, budget
        self.drawn = 0
        self.groups: dict[str, int] = {}  # Tune trial -> its number of members
        self.ended: set[str] = set()  # members whose final result reached inner
        self.last: dict[str, dict[str, Any]] = {}  # member -> its latest result

    def set_search_properties(self, metric: Any, mode: Any, config: dict, **spec: Any) -> bool:
        return self.inner.set_search_properties(metric, mode, config, **spec)

    def suggest(self, trial_id: str) -> dict[str, Any] | str | None:
        members: list[dict[str, Any]] = []
        found: Any = Searcher.FINISHED
        while len(members) < self.size and self.drawn < self.budget:
            found = self.inner.suggest(member_id(trial_id, len(members)))
            if found is None or found == Searcher.FINISHED:
                break
            members.append(found)
            self.drawn += 1
        if not members:
            return found
        self.groups[trial_id] = len(members)
        return {MEMBERS_KEY: members}

    def on_trial_result(self, trial_id: str, result: dict[str, Any]) -> None:
        index = result.get("member")
        if index is None:
            return
        member = member_id(trial_id, int(index))
        self.last[member] = result
        if "trial_status" in result:  # the member's final report
            self.ended.add(member)
            self.inner.on_trial_complete(member, result, False)
        else:
            self.inner.on_trial_result(member, result)

    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        """Members that sent no final report (the batch failed): ended with an error."""
        for k in range(self.groups.pop(trial_id, 0)):
            member = member_id(trial_id, k)
            if member not in self.ended:
                self.inner.on_trial_complete(member, self.last.get(member), True)
            self.ended.discard(member)
            self.last.pop(member, None)
