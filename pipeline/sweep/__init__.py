"""Sweeps on Ray Tune (L4): search spaces for Optuna, the trainable, launch and resume."""

from pipeline.sweep._search import define_by_run, meaningful

__all__ = ["define_by_run", "meaningful"]
