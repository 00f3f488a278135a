"""Shared test settings (hypothesis derandomized, no deadlines), the local S3 server, one Ray
for the in-process sweep tests and one quickstart sweep for the tests that read it."""

import os
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

if os.environ.get("PYTEST_XDIST_WORKER"):
    # the workers share the cores: torch (and the CLI processes tests start) take their share
    # of threads, so that two workers on two cores do not each run two threads
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True)
settings.register_profile("thorough", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
ROOT = Path(__file__).resolve().parents[1]
SESSION_RAY = "SYMSEARCH_TEST_RAY"  # the address of this worker's session Ray (ray_session)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3-compatible server on 127.0.0.1, reached through the standard AWS_* variables."""
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    port = free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    saved = {
        k: os.environ.get(k)
        for k in (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_DEFAULT_REGION",
            "AWS_ENDPOINT_URL",
        )
    }
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=endpoint,
    )
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="symsearch-test")
    yield endpoint
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def ray_session():
    os.environ["RAY_ENABLE_UV_RUN_RUNTIME_ENV"] = "0"
    import ray

    # workers import test factories (tests.trial_factories) from the repository root
    context = ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}},
    )
    os.environ[SESSION_RAY] = context.address_info["gcs_address"]  # CLI drivers may join it
    yield ray
    os.environ.pop(SESSION_RAY, None)
    ray.shutdown()


# A session fixture is built once per xdist worker. The tests that read the quickstart sweep run
# on one worker (--dist loadgroup), so that it runs once in all; each worker starts its own Ray
# (ray_session) for its share of the in-process sweep tests, which then run on both cores.
SHARED_FIXTURES = {"quickstart_sweep": "quickstart", "tutorial_run": "tutorial"}


def pytest_itemcollected(item):
    """Groups a test by the shared fixtures it uses (as each test is collected: before xdist
    reads the groups in pytest_collection_modifyitems)."""
    for fixture, group in SHARED_FIXTURES.items():
        if fixture in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group(group))


def pytest_collection_modifyitems(items):
    """The quickstart sweep's readers first, then the other slow tests, then the rest (each in
    collection order): the longest work starts first, so that the workers end together."""
    items.sort(key=lambda item: (not _shares_a_fixture(item), not _is_slow(item)))


def _shares_a_fixture(item) -> bool:
    return any(fixture in getattr(item, "fixturenames", ()) for fixture in SHARED_FIXTURES)


def _is_slow(item) -> bool:
    return item.get_closest_marker("slow") is not None


def pytest_collection_finish(session):
    """Fails loudly where xdist's groups have no effect (each worker would build the shared
    fixtures again: one more Ray, one more quickstart sweep)."""
    if not getattr(session.config.option, "loadgroup", False):
        return
    for item in session.items:
        if any(item.iter_markers("xdist_group")) and "@" not in item.nodeid:
            raise pytest.UsageError(
                "pytest-xdist's --dist loadgroup has no effect with this pytest "
                f"({pytest.__version__}); install the pytest that pyproject.toml pins"
            )


@dataclass(frozen=True)
class QuickstartRun:
    folder: Path  # the working directory (its outputs/ holds the sweep's record)
    store: Path
    name: str
    log: str  # what the sweep printed on stderr (its live view, one line per ended trial)


@pytest.fixture(scope="session")
def quickstart_sweep(tmp_path_factory) -> QuickstartRun:
    """The README's main job as a user runs it, every setting at its default (searcher and test
    seed 0): ``symsearch sweep search_spaces/quickstart.yaml`` in its own process, once per
    session. Its verdict (tests/test_bench_quickstart_verdict.py) and the CLI's sweep, status
    and analyze (tests/sweep/test_cli_sweep.py) are checked on it."""
    from tests.sweep.helpers import symsearch

    folder = tmp_path_factory.mktemp("quickstart")
    store = folder / "store"
    swept = symsearch(
        "sweep", str(ROOT / "search_spaces" / "quickstart.yaml"), "--store", str(store), cwd=folder
    )
    return QuickstartRun(folder, store, "quickstart", swept.stderr)


@pytest.fixture
def outputs(tmp_path, monkeypatch):
    """Sweep records and Ray experiments under a fresh outputs/ folder."""
    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(tmp_path / "outputs"))
    return tmp_path / "outputs"
