"""A Ray searcher whose whole state is its attributes, saved and restored with pickle (Tune saves
a searcher with the experiment, and ``resume`` restores it)."""

from __future__ import annotations

import pickle

from ray.tune.search import Searcher


class PickledSearcher(Searcher):
    def save(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "wb") as handle:
            pickle.dump(self.__dict__, handle)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as handle:
            self.__dict__.update(pickle.load(handle))
