"""Clusters: a real two-node Ray cluster on this machine (token auth, s3 store), cluster files."""

import copy
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from pipeline.space import SpaceError
from pipeline.store import open_store, read_table
from pipeline.sweep import load_cluster
from tests.conftest import free_port
from tests.sweep.helpers import cli_env

ROOT = Path(__file__).resolve().parents[2]
CLUSTERS = ROOT / "clusters"
SPACE = {
    "dataset": {"name": "signals", "length": 32, "transform": "shift", "n_samples": 200},
    "trial": {"epochs": 3, "robustness": "none"},
    "search": {"candidate_group": ["trivial", "shift32"], "seed": [0, 1]},
    "searcher": "grid",
    "scheduler": {"name": "fifo"},
}


def _node_env():
    return {**cli_env(), "RAY_AUTH_MODE": "token"}


def _alive_nodes(address: str) -> int:
    status = subprocess.run(
        ["ray", "status", "--address", address],
        env=_node_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    active = status.stdout.split("Active:")[-1].split("Pending:")[0]
    return active.count("node_")


@pytest.fixture
def two_node_cluster(s3_endpoint):
    """`ray start --head` and a second `ray start --address`, 1 CPU each, token auth on."""
    port = free_port()
    address = f"127.0.0.1:{port}"
    common = ["--num-cpus=1", "--block", "--disable-usage-stats"]
    nodes = [
        subprocess.Popen(
            ["ray", "start", "--head", f"--port={port}", "--include-dashboard=false", *common],
            env=_node_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    _wait_for(lambda: _port_open(port), "the head node")
    nodes.append(
        subprocess.Popen(
            ["ray", "start", f"--address={address}", *common],
            env=_node_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    _wait_for(lambda: _alive_nodes(address) == 2, "both nodes")
    yield address
    for node in reversed(nodes):  # --block: stopping the command stops the node's processes
        node.terminate()
        node.wait(timeout=60)
    _forget_cluster(port)


def _forget_cluster(port: int) -> None:
    """`ray start --head` notes its address for later `ray.init()` calls; `ray stop` would
    remove the note, a terminated --block head does not. Remove ours."""
    note = Path("/tmp/ray/ray_current_cluster")
    if note.is_file() and note.read_text().strip().endswith(f":{port}"):
        note.unlink()


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait_for(condition, what, limit=90):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} did not come up within {limit}s")


@pytest.mark.slow
def test_sweep_runs_on_both_nodes_of_a_token_auth_cluster_into_s3(two_node_cluster, tmp_path):
    space = tmp_path / "space.yaml"
    space.write_text(yaml.safe_dump(SPACE))
    store = f"s3://symsearch-test/cluster-{uuid.uuid4().hex[:8]}/store"
    run = [sys.executable, "-m", "pipeline.cli"]
    subprocess.run(
        [*run, "sweep", str(space), "--name", "c", "--address", two_node_cluster, "--store", store],
        cwd=tmp_path,
        env=_node_env(),
        check=True,
        capture_output=True,
        timeout=300,
    )
    trials = read_table(open_store(store), "trials", "c").to_pylist()
    assert len(trials) == 4 and {t["status"] for t in trials} == {"completed"}
    assert len({t["node"] for t in trials}) == 2, "trials ran on both nodes"
    assert {t["device"] for t in trials} == {"cpu"}

    out = tmp_path / "analysis"
    subprocess.run(
        [*run, "analyze", "c", "--store", store, "--workers", "2", "--out", str(out)],
        cwd=tmp_path,
        env=_node_env(),
        check=True,
        capture_output=True,
        timeout=300,
    )
    report = (out / "report.md").read_text()  # the data test's verdict opens it, either way
    assert "**The data have " in report


@pytest.mark.parametrize("name", ["local", "aws", "gcp"])
def test_cluster_files_pass_rays_own_validation(name):
    from ray.autoscaler._private.util import prepare_config, validate_config

    config = yaml.safe_load((CLUSTERS / f"{name}.yaml").read_text())
    validate_config(prepare_config(copy.deepcopy(config)))
    broken = {**config, "head_node_typo": "head"}
    with pytest.raises(Exception, match="head_node_typo"):
        validate_config(prepare_config(broken))
    assert load_cluster(CLUSTERS / f"{name}.yaml").store


def test_cloud_files_ask_for_gpus_and_carry_no_credentials():
    for name in ("aws", "gcp", "kuberay-rayjob", "dask"):
        text = (CLUSTERS / f"{name}.yaml").read_text()
        assert "FILL-IN" in text
        for secret in ("AKIA", "aws_secret_access_key:", "private_key", "BEGIN "):
            assert secret not in text
    aws = yaml.safe_load((CLUSTERS / "aws.yaml").read_text())
    assert aws["available_node_types"]["gpu_worker"]["resources"]["GPU"] == 1
    assert load_cluster(CLUSTERS / "aws.yaml").resources.gpu == 0.25


def test_kuberay_rayjob_has_the_fields_a_rayjob_requires():
    job = yaml.safe_load((CLUSTERS / "kuberay-rayjob.yaml").read_text())
    assert (job["apiVersion"], job["kind"]) == ("ray.io/v1", "RayJob")
    assert job["metadata"]["name"] and "symsearch sweep" in job["spec"]["entrypoint"]
    cluster = job["spec"]["rayClusterSpec"]
    head = cluster["headGroupSpec"]
    assert "rayStartParams" in head and head["template"]["spec"]["containers"][0]["image"]
    for group in cluster["workerGroupSpecs"]:
        assert group["groupName"] and "rayStartParams" in group
        limits = group["template"]["spec"]["containers"][0]["resources"]["limits"]
        assert int(limits["nvidia.com/gpu"]) >= 1
    dask = yaml.safe_load((CLUSTERS / "dask.yaml").read_text())
    assert dask["kind"] == "DaskCluster" and dask["spec"]["scheduler"]["service"]["ports"]


def test_the_clusters_how_to_shows_each_cluster_file_with_its_commands():
    how_to = (ROOT / "docs" / "how-to" / "clusters.md").read_text()
    for name in ("local.yaml", "aws.yaml", "gcp.yaml", "kuberay-rayjob.yaml", "dask.yaml"):
        assert f"clusters/{name}" in how_to


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("cluster_name: x\n", "metadata.symsearch"),
        ("metadata: {symsearch: {stor: s3://b/s}}\n", "stor"),
        ("metadata: {symsearch: {resources: {gpu: -1}}}\n", "resources.gpu"),
        ("metadata: {symsearch: {dask: {workers: 0}}}\n", "dask.workers"),
    ],
)
def test_bad_cluster_files_name_the_field(tmp_path, content, field):
    path = tmp_path / "c.yaml"
    path.write_text(content)
    with pytest.raises(SpaceError, match=field.replace(".", r"\.")):
        load_cluster(path)


def test_cluster_resources_apply_unless_the_space_sets_its_own(tmp_path, monkeypatch):
    from pipeline.sweep import SweepOptions, prepare_sweep

    monkeypatch.setenv("SYMSEARCH_OUTPUTS", str(tmp_path / "outputs"))
    cluster = load_cluster(CLUSTERS / "aws.yaml").model_copy(
        update={"store": str(tmp_path / "store"), "address": None}
    )
    space = tmp_path / "s.yaml"
    space.write_text(yaml.safe_dump(SPACE))
    prepared = prepare_sweep(space, SweepOptions(name="r", cluster=cluster))
    assert prepared.space.resources.gpu == 0.25 and prepared.record.store.endswith("store")
    space.write_text(yaml.safe_dump({**SPACE, "resources": {"cpu": 2}}))
    prepared = prepare_sweep(space, SweepOptions(name="r2", cluster=cluster))
    assert (prepared.space.resources.cpu, prepared.space.resources.gpu) == (2, 0)
