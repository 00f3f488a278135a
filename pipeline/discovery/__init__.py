"""Discovery of the data's own symmetries: a classifier two-sample test per generator.

>>> from pipeline.discovery import discovery_test  # doctest: +SKIP
>>> verdicts = discovery_test(dataset, get_group("affine2"))  # one Verdict per generator
"""

from pipeline.discovery._probes import Probe, probes
from pipeline.discovery._rows import COLUMNS, decided, present_span, test_columns
from pipeline.discovery._test import TestConfig, Verdict, discovery_test

__all__ = [
    "COLUMNS",
    "Probe",
    "TestConfig",
    "Verdict",
    "decided",
    "discovery_test",
    "present_span",
    "probes",
    "test_columns",
]
