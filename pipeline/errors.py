"""What every layer shares without importing torch: the user-error base class and the states a
trial ends in.

Every error a user can fix by changing the input (a search space, a flag, a name, a store URL,
a query) derives from ``SymsearchError``; its message is one line naming what is wrong. The
command line catches this one class and prints ``error: <message>`` with exit status 2, so a new
error type needs no registration there. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from enum import Enum


class SymsearchError(ValueError):
    """Input that cannot be used; the message is one line for the user, naming the field.

    A ValueError, so code that validates with ``except ValueError`` (pydantic validators
    among it) keeps working."""


class SpaceError(SymsearchError):
    """A search space or trial configuration that cannot be used; names the field."""


class NumericalBreakdown(ArithmeticError):
    """A trial's numbers stopped making sense (a singular warp, NaN or infinite widths): the
    trial ends as failed with this one-line reason and a sweep goes on. Not a user error."""


class TrialStatus(str, Enum):
    """How a trial ended, as the ``status`` column of the ``trials`` table. The values are the
    stored strings: ``TrialStatus.FAILED == "failed"``, and a stored value compares equal."""

    COMPLETED = "completed"  # trained all its epochs and was evaluated
    STOPPED = "stopped"  # the scheduler ended it early; its epochs so far are stored
    FAILED = "failed"  # diverged, broke down numerically, or raised; ``error`` says why

    def __str__(self) -> str:
        return self.value


__all__ = ["NumericalBreakdown", "SymsearchError", "TrialStatus"]
