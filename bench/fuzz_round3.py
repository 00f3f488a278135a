"""The fuzzer's round-3 cases (issue 30): a hostile store next to the seeded one, and one fixed
invocation per defect the round-3 probe found. Each case says what it expects (exit status 2 and
one ``error:`` line unless told otherwise; text the output must or must not hold); every case
must leave the stores and the sweep records as they were. Used by ``bench/fuzz_cli.py``."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PLANTED = "fuzz_planted_module"  # imported only if stored data could choose code
TABLE_FILE = "t9-a1-00001-0123abcd.parquet"  # a name the store's writer could have given
ALIAS_BOMB = (
    "["
    + ", ".join(
        ["&a [x,x,x,x,x,x,x,x,x,x]"]
        + [
            f"&{b} [*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a}]"
            for a, b in zip("abcdefgh", "bcdefghi", strict=True)
        ]
    )
    + "]"
)


@dataclass
class Expect:
    codes: tuple[Any, ...] = (2,)
    contains: str | None = None
    lacks: str | None = None
    env: dict[str, str] = field(default_factory=dict)


def hostile_store(ws: Any) -> Path:
    """A copy of the seeded store plus what a stranger with write access could plant: a trials
    row and sweep records naming a factory, a record pointing at a planted Ray experiment, a
    live lock, a symlink and a FIFO named like table files."""
    from pipeline.store import StoreWriter, open_store
    from pipeline.sweep._record import SweepRecord

    hostile = ws.root / "hostile"
    shutil.copytree(ws.store, hostile)
    (ws.root / f"{PLANTED}.py").write_text(
        f"open({str(hostile / '_marker')!r}, 'w').write('code from the store ran')\n"
        "def make(*args):\n    return None\n"
    )
    factory = f"{PLANTED}:make"
    location = open_store(str(hostile))
    writer = StoreWriter(location, "planted", "t1", 1)
    config = {"dataset": {"name": "signals"}, "candidate_group": f"{factory}*trivial"}
    writer.add(
        "trials", {"status": "completed", "val_metric": 0.5, "config_json": json.dumps(config)}
    )
    writer.flush()
    planted_ray = ws.root / "planted-ray" / "elsewhere"
    planted_ray.mkdir(parents=True)
    (planted_ray / "tuner.pkl").write_bytes(b"a pickle nobody may load")
    good = _good_space(ws)
    records = {
        "plantedrec": {"space": {**good, "dataset": {"factory": factory}}},
        "elsewhere": {"space": good, "storage_path": str(planted_ray.parent)},
        "locked": {"space": good},
        "otherstore": {"space": good, "store": str(ws.root / "other-store")},
        "trial": {"space": good, "study_storage": f"sqlite:///{hostile}/_study.db"},
    }
    for name, fields in records.items():
        values = {
            "space_path": "",
            "store": location.url,
            "storage_path": str(ws.outputs / "ray"),
            **fields,
        }
        record = SweepRecord(name=name, **values)
        record.add_segment(2)
        _write_record(location, record)
    (hostile / "_sweeps" / "locked" / "lock").write_text(
        json.dumps(
            {
                "host": os.uname().nodename,
                "pid": os.getpid(),
                "token": "fuzz",
                "started": "now",
                "heartbeat": 4e9,
            }
        )
    )
    folder = hostile / "trials" / "sweep=planted"
    (folder / TABLE_FILE).symlink_to(ws.spaces / "good.yaml")
    os.mkfifo(folder / TABLE_FILE.replace("t9", "t8"))
    return hostile


def _good_space(ws: Any) -> dict[str, Any]:
    from pipeline.space import load_space

    return load_space(ws.good).model_dump()


def _write_record(location: Any, record: Any) -> None:
    """Only into the store: the hostile store's records are not this machine's."""
    from dataclasses import asdict

    from pipeline.store import write_blob
    from pipeline.sweep._record import record_name

    write_blob(location, record_name(record.name), json.dumps(asdict(record)).encode())


def round3_cases(ws: Any) -> list[tuple[str, list[str], Expect]]:
    """(category, argv, expectation) per defect of the round-3 probe."""
    hostile = hostile_store(ws)
    ws.extra.append(hostile)
    h, s, good = str(hostile), str(ws.store), str(ws.good)
    link = hostile / "trials" / "sweep=planted" / TABLE_FILE
    return [
        (
            "r01-code-from-data",
            ["best", "planted", "--store", h, "--format", "json"],
            Expect((0,), contains=f"{PLANTED}:make*trivial"),
        ),
        (
            "r01-code-from-data",
            ["resume", "plantedrec", "--store", h],
            Expect(contains="not imported"),
        ),
        (
            "r02-planted-pickle",
            ["resume", "elsewhere", "--store", h],
            Expect(contains="puts Ray's experiments at"),
        ),
        (
            "r02-record-store",
            ["status", "otherstore", "--store", h],
            Expect((0,), contains=f"store: {h}", lacks="store: " + str(ws.root / "other-store")),
        ),
        (
            "r03-bounds",
            ["resume", "locked", "--store", h, "--num-samples", "1000000000000000000000"],
            Expect(contains="--num-samples"),
        ),
        (
            "r03-bounds",
            ["sweep", good, "--store", s, "--max-concurrent", "1000000000"],
            Expect(contains="--max-concurrent"),
        ),
        (
            "r03-bounds",
            ["sweep", good, "--store", s, "--num-samples", "0"],
            Expect(contains="--num-samples"),
        ),
        ("r04-lock", ["resume", "locked", "--store", h], Expect(contains="is running: process")),
        (
            "r05-adhoc-name",
            ["sweep", good, "--store", s, "--name", "trial"],
            Expect(contains="holds rows under the name 'trial'"),
        ),
        (
            "r07-symlink",
            ["query", f"select * from read_text('{link}')", "--store", h],
            Expect(contains="outside the store"),
        ),
        ("r07-fifo", ["query", "select count(*) n from trials", "--store", h], Expect((0,))),
        (
            "r07-rows",
            ["query", "select * from range(300000000)", "--store", s, "--limit", "3"],
            Expect((0,)),
        ),
        (
            "r09-set-limits",
            ["trial", good, "--set", f"dataset.n_samples={ALIAS_BOMB}"],
            Expect(contains="more than 100000 values"),
        ),
        (
            "r09-set-limits",
            ["sweep", good, "--store", s, "--set", "epochs=" + "9" * 5001],
            Expect(contains="cannot read value"),
        ),
        (
            "r11-study-read-only",
            ["analyze", "trial", "--store", h, "--out", str(ws.root / "analysis")],
            Expect((0, 2)),
        ),
        (
            "r13-empty-outputs",
            ["resume", "nosuchsweep"],
            Expect(
                contains=f"under {ws.root / 'outputs' / 'sweeps'} (", env={"SYMSEARCH_OUTPUTS": ""}
            ),
        ),
    ]
