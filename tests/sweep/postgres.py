"""A throwaway PostgreSQL server for tests: initdb into a temporary folder, run as the
``postgres`` user on a free loopback port, stopped and removed afterwards."""

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time

from tests.conftest import free_port


def postgres_bin() -> str | None:
    """The folder of initdb and pg_ctl (PostgreSQL's own layout first, then PATH)."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.isfile(f"{folder}/initdb") and os.path.isfile(f"{folder}/pg_ctl"):
            return folder
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb and shutil.which("pg_ctl") else None


def as_postgres(*command: str) -> list[str]:
    """Run as the postgres user (initdb refuses root), unless we are that user already."""
    if os.geteuid() != 0:
        return list(command)
    # runuser lives in sbin, which a login PATH may leave out
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    return [shutil.which("runuser", path=path) or "runuser", "-u", "postgres", "--", *command]


@contextlib.contextmanager
def postgres_server():
    """Yields a postgresql:// URL (user postgres, database postgres, trust auth on 127.0.0.1)."""
    folder = postgres_bin()
    root = tempfile.mkdtemp(prefix="symsearch-pg-")
    os.chmod(root, 0o777)  # the postgres user writes there
    data, port = f"{root}/data", free_port()
    try:
        subprocess.run(
            as_postgres(
                f"{folder}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c max_connections=200"
        subprocess.run(
            as_postgres(
                f"{folder}/pg_ctl", "-D", data, "-o", options, "-l", f"{root}/log", "-w", "start"
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            as_postgres(f"{folder}/pg_ctl", "-D", data, "-m", "immediate", "stop"),
            capture_output=True,
            timeout=60,
        )
        time.sleep(0.2)
        shutil.rmtree(root, ignore_errors=True)
