"""Store backends for the contract suite: local disk, memory://, and s3:// on a local server."""

import uuid

import pytest


@pytest.fixture(params=["local", "memory", "s3"])
def store_url(request, tmp_path):
    if request.param == "local":
        return str(tmp_path / "store")
    if request.param == "memory":
        return f"memory://store-{uuid.uuid4().hex}"
    request.getfixturevalue("s3_endpoint")
    return f"s3://symsearch-test/store-{uuid.uuid4().hex}"
