"""Discovery of the data's own symmetries: a classifier two-sample test per generator.

The ``*_trunk`` builders are the readers' trunks the built-in data kinds' records name.

>>> from pipeline.discovery import discovery_test  # doctest: +SKIP
>>> verdicts = discovery_test(dataset, get_group("affine2"))  # one Verdict per generator
"""

from pipeline.discovery._datatest import DataTest, data_test_id, generator_matrices, run_data_test
from pipeline.discovery._discover import discovery_test
from pipeline.discovery._probes import Probe, probes
from pipeline.discovery._readers import image_trunk, lattice_trunk, points_trunk, sequence_trunk
from pipeline.discovery._records import TestConfig, Verdict
from pipeline.discovery._rows import COLUMNS, decided, present_span

__all__ = [
    "COLUMNS",
    "DataTest",
    "Probe",
    "TestConfig",
    "Verdict",
    "data_test_id",
    "decided",
    "discovery_test",
    "generator_matrices",
    "image_trunk",
    "lattice_trunk",
    "points_trunk",
    "present_span",
    "probes",
    "run_data_test",
    "sequence_trunk",
]
