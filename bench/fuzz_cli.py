"""Fuzz the command line: generated bad invocations of every command must each end with exit
status 2 and exactly one ``error:`` line, never a traceback, and leave the store's bytes (and the
sweep records) unchanged.

Categories: malformed and hostile search-space files (``trial``, ``sweep``), bad ``--set``
overrides, bad sweep names, bad store URLs, bad options and arguments, and SQL that is refused or
broken (``query``). Cases run in-process through ``pipeline.cli.main`` (fast: the libraries are
imported once); a seeded sample also runs as subprocesses (``python -m pipeline.cli``), which
also checks the real console path. Sweeps never reach Ray: starting it counts as a failure.

    python bench/fuzz_cli.py                   # 600 cases + 12 subprocesses, a few minutes
    python bench/fuzz_cli.py --cases 2000 --subprocesses 40 --seed 1

Prints the counts per category and every failing case (argv, exit status, first line); exits
1 when any case fails.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import os
import random
import signal
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from _fuzz_report import Result, report
from fuzz_round3 import round3_cases

GOOD = {
    "dataset": {"name": "signals", "n_samples": 100},
    "trial": {"epochs": 1, "robustness": "none"},
    "search": {"candidate_group": ["trivial", "shift32"]},
    "num_samples": 2,
}
CASE_SECONDS = 60  # an in-process case that runs longer counts as a hang


@dataclass
class Case:
    category: str
    argv: list[str]
    expect: Any = None  # fuzz_round3.Expect; None: exit 2 and one error line


@dataclass
class Outcome:
    code: object
    output: str
    traceback: str | None = None
    seconds: float = 0.0


class RayStarted(AssertionError):
    """A bad invocation got as far as starting Ray."""


# -- workspace ------------------------------------------------------------------------------


class Workspace:
    """A temporary directory with a store holding one trial, the spaces the cases use, and
    SYMSEARCH_OUTPUTS pointing inside it."""

    def __init__(self, root: Path) -> None:
        self.root, self.spaces = root, root / "spaces"
        self.store, self.outputs = root / "store", root / "outputs"
        self.extra: list[Path] = []  # more stores the cases must leave as they were
        self.spaces.mkdir()
        self.good = self.write("good.yaml", yaml.safe_dump(GOOD))
        self.points = self.write(
            "points.yaml",
            yaml.safe_dump({**GOOD, "dataset": {"name": "pointclouds", "n_samples": 60}}),
        )
        self.plain_file = self.write("plain.txt", "not a store")
        self.counter = 0

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.spaces / name
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
        return path

    def new_file(self, content: str | bytes, suffix: str = ".yaml") -> str:
        self.counter += 1
        return str(self.write(f"case{self.counter}{suffix}", content))

    def snapshot(self) -> dict[str, str]:
        """Every file of the store and of the sweep records, by content hash."""
        found = {}
        for folder in (self.store, self.outputs, *self.extra):
            for path in sorted(folder.rglob("*")) if folder.exists() else []:
                if path.is_file():
                    found[str(path)] = hashlib.sha1(path.read_bytes()).hexdigest()
        return found


# -- case generators ------------------------------------------------------------------------


def junk(rng: random.Random, size: int = 8) -> str:
    alphabet = string.ascii_letters + string.digits + "_-.:/@ ()[]{}'\"\\é\t"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, size)))


HUGE = [10**30, -(10**30), 1e308, -1e308, float("inf"), float("nan"), -1, -0.5]  # all bad


def bad_space_text(rng: random.Random, ws: Workspace) -> str | bytes:
    space = yaml.safe_load(yaml.safe_dump(GOOD))
    kind = rng.choice(
        [
            "top_key",
            "trial_key",
            "sweep_value",
            "trial_value",
            "group",
            "dataset",
            "scheduler",
            "resources",
            "broken",
            "range",
            "model",
            "device",
            "cannot_act",
            "deep",
            "not_utf8",
            "huge",
            "aliases",
            "not_mapping",
            "empty",
            "choices",
            "searcher",
        ]
    )
    if kind == "top_key":
        space["zz_" + junk(rng)] = 1
    elif kind == "trial_key":
        space[rng.choice(["trial", "search"])]["zz_" + junk(rng)] = 1
    elif kind == "sweep_value":
        key = rng.choice(
            [
                "num_samples",
                "max_concurrent",
                "max_failures",
                "checkpoint_seconds",
                "searcher_seed",
                "metric",
                "mode",
            ]
        )
        space[key] = rng.choice([*HUGE, "x" + junk(rng), [1, 2], {"k": 1}])
    elif kind == "trial_value":
        key = rng.choice(
            [
                "epochs",
                "reg",
                "lr",
                "init_width",
                "batch_size",
                "seed",
                "tolerance",
                "prior",
                "temperature",
                "eval_samples",
                "robustness",
            ]
        )
        space["trial"][key] = rng.choice([*HUGE, "x" + junk(rng), [1], {"k": 1}])
    elif kind == "group":
        space["search"]["candidate_group"] = [
            "trivial",
            rng.choice(
                ["Q" + junk(rng), "S0", "C0", "C99999", "SO(2)", "S5*S6", "learned99", "", "*"]
            ),
        ]
    elif kind == "dataset":
        space["dataset"] = rng.choice(
            [
                {"name": "zz" + junk(rng)},
                {"name": "signals", "n_samples": -5},
                {"factory": "nosuch.module:f"},
                {"name": "signals", "factory": "x:y"},
                "signals",
                [1],
            ]
        )
    elif kind == "scheduler":
        space["scheduler"] = {
            "name": rng.choice(["asha", "hyperband"]),
            "reduction_factor": rng.choice([*HUGE, 1]),
        }
    elif kind == "resources":
        space["resources"] = rng.choice(
            [{"cpu": rng.choice([*HUGE, 0])}, {"gpu": 1.5}, {"tpu": 1}, {"gpu": rng.choice(HUGE)}]
        )
    elif kind == "range":
        small, big = sorted([rng.uniform(0.01, 1), rng.uniform(0.01, 1)])
        space["search"]["reg"] = rng.choice(
            [  # each always bad, whatever the draw
                {"distribution": "uniform", "low": big + 0.5, "high": small},
                {"distribution": "loguniform", "low": -small, "high": big},
                {"distribution": "randint", "low": 0.5, "high": 3},
                {"distribution": "uniform", "low": 0, "high": 1, "default": 5},
                {"distribution": "normal", "low": 0, "high": 1},
            ]
        )
    elif kind == "model":
        space["model"] = {
            rng.choice(["hidden", "channels", "kernel", "zz"]): rng.choice(
                [-5, 0, 10**9, "x", [0], [-1, 2], 2.5]
            )
        }
    elif kind == "device":
        space["trial"]["device"] = rng.choice(["foo", "cuda:x", "tpu", "", "cuda:99999"])
    elif kind == "cannot_act":
        space["dataset"] = {"name": "pointclouds", "n_samples": 60}
        bad = rng.choice(["S5", "S2000", "shift32", "SO3", "flip"])  # first: what `trial` runs
        space["search"]["candidate_group"] = [bad, "trivial"]
    elif kind == "deep":
        depth = rng.choice([40, 500, 5000])
        return "dataset: {name: signals}\nsearch: {seed: " + "[" * depth + "]" * depth + "}\n"
    elif kind == "not_utf8":
        return b"dataset: {name: signals}\ndescription: caf\xe9 \xff\xfe\n"
    elif kind == "huge":
        return "dataset: {name: signals}\nsearch:\n  seed: [" + ",".join(["0"] * 40_000) + "]\n"
    elif kind == "aliases":
        lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
        lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
        return "dataset: {name: signals}\n" + "\n".join(lines) + "\n"
    elif kind == "not_mapping":
        return rng.choice(["- 1\n- 2\n", "just text\n", "42\n", "null\n"])
    elif kind == "empty":
        return rng.choice(["", "   \n", "# only a comment\n"])
    elif kind == "choices":
        space["search"]["lr"] = rng.choice([{"choices": []}, {"choices": "abc"}, []])
    elif kind == "searcher":
        space["searcher"] = rng.choice(["bayes", 1, "x", ["grid"]])
    else:  # broken YAML
        text = yaml.safe_dump(space)
        cut = rng.randint(1, len(text) - 1)
        return text[:cut] + rng.choice(["\n\t- [", ": : {", "\n  - ]", "\x00", "{{{", "&a *b"])
    return yaml.safe_dump(space, allow_unicode=True)


def space_cases(rng: random.Random, ws: Workspace) -> Case:
    path = ws.new_file(bad_space_text(rng, ws))
    command = rng.choice(["trial", "sweep"])
    argv = [command, path] + (["--store", str(ws.store)] if command == "sweep" else [])
    return Case("space", argv)


def path_cases(rng: random.Random, ws: Workspace) -> Case:
    command = rng.choice(["trial", "sweep"])
    path = rng.choice(
        [
            str(ws.root / "missing.yaml"),
            str(ws.spaces),
            "",
            "-",
            "/dev/null",
            str(ws.root / ("x" * 300 + ".yaml")),
        ]
    )
    return Case("space", [command, path])


def set_cases(rng: random.Random, ws: Workspace) -> Case:
    setting = rng.choice(
        [
            "noequals",
            "=1",
            " =2",
            "zz_unknown=1",
            f"zz{junk(rng)}=1",
            "lr=abc",
            "lr=-1",
            "epochs=0",
            "epochs=1e99",
            "batch_size=-3",
            "seed=-1",
            "prior=cauchy",
            "candidate_group=Q" + junk(rng),
            "candidate_group=S2000",
            "candidate_group=SO3",
            "device=foo",
            "device=cuda:99",
            "model.hidden=-5",
            "model.kernel=0",
            "model.zz=1",
            "model.channels=[0]",
            "dataset.name=zz",
            "dataset.n_samples=-1",
            "dataset.length=0",
            "dataset.zz=1",
            "tolerance=-1",
            "init_width=0",
            "reg=inf",
            "lr=[1, 2]",
            "epochs=" + "[" * 3000,
            "epochs={a: [}",
            "symmetry_breaking=maybe",
            "robustness=some",
            "model=5",
            "dataset=5",
        ]
    )
    space = ws.points if setting.startswith("candidate_group=S") else ws.good
    return Case("set", ["trial", str(space), "--set", setting])


BAD_NAMES = [
    "",
    " ",
    ".",
    "..",
    "a/b",
    "../up",
    "x\ny",
    "x y",
    "x" * 200,
    "é",
    "a=b",
    "_x",
    "sweep=x",
    "a\\b",
    "\t",
    "~",
    "a;b",
    "*",
]


def name_cases(rng: random.Random, ws: Workspace) -> Case:
    name = rng.choice([*BAD_NAMES, junk(rng) + "/" + junk(rng)])
    command = rng.choice(["sweep", "trial", "resume", "status", "analyze"])
    if command == "sweep":
        return Case("name", ["sweep", str(ws.good), "--name", name, "--store", str(ws.store)])
    if command == "trial":
        return Case("name", ["trial", str(ws.good), "--name", name, "--store", str(ws.store)])
    if command == "analyze":
        return Case(
            "name", ["analyze", name, "--store", str(ws.store), "--out", str(ws.root / "analysis")]
        )
    return Case("name", [command, name])


def url_cases(rng: random.Random, ws: Workspace) -> Case:
    url = rng.choice(
        [
            "ftp://127.0.0.1:9/store",
            "nosuch://x/y",
            "http://127.0.0.1:9/store",
            "s3://symsearch-fuzz-missing/store",
            str(ws.plain_file),
            "file:///proc/self/nope",
            "",
            "s3://",
            "/dev/null",
        ]
    )
    command = rng.choice(["trial", "sweep", "query", "analyze"])
    if command in ("query", "analyze") and rng.random() < 0.2:  # reading needs a store there
        url = str(ws.root / "no" / "such" / "store")
    if command == "sweep" and rng.random() < 0.2:  # trials run in other processes
        url = "memory://fuzz"
    if command == "query":
        return Case("url", ["query", "select * from trials", "--store", url])
    if command == "analyze":
        return Case("url", ["analyze", "trial", "--store", url, "--out", str(ws.root / "a")])
    return Case("url", [command, str(ws.good), "--store", url])


def option_cases(rng: random.Random, ws: Workspace) -> Case:
    good = str(ws.good)
    argv = rng.choice(
        [
            ["sweep", good, "--num-samples", rng.choice(["0", "-3", "abc", "1e99", ""])],
            ["sweep", good, "--max-concurrent", rng.choice(["0", "-1", "x"])],
            ["sweep", good, "--cluster", str(ws.root / "missing.yaml")],
            [
                "sweep",
                good,
                "--cluster",
                ws.new_file(
                    rng.choice(
                        [
                            "metadata: 1\n",
                            "[1, 2]\n",
                            "metadata: {symsearch: {store: 1, zz: 2}}\n",
                            "a: [" * 50,
                        ]
                    )
                ),
            ],
            ["sweep", good, "--" + junk(rng).replace(" ", "")],
            ["query", "select * from trials", "--format", rng.choice(["xml", "", "TABLE", "yaml"])],
            ["analyze", "--workers", rng.choice(["0", "-2", "x"])],
            ["analyze", "--workers", "2", "--scheduler", "tcp://127.0.0.1:9"],
            [
                "groups",
                rng.choice(
                    ["SO(2)", "Q1", "S0", "C99999", "S5*S6", "", "*", "learned0", junk(rng)]
                ),
            ],
            ["datasets", rng.choice(["nosuch", "digits --set", "MNIST"])],
            [
                "datasets",
                "digits",
                "--set",
                rng.choice(["size=-1", "zz=1", "transform=SO9", "noequals"]),
            ],
            [
                "datasets",
                "--factory",
                rng.choice(["nosuch.module:f", "os:getcwd", "os", ":", "pipeline:nothing"]),
            ],
            ["resume", "nosuchsweep", "--num-samples", rng.choice(["-1", "x", "0"])],
            ["status", "nosuchsweep"],
            ["trial", good, "--store", str(ws.store), "--bogus"],
            [rng.choice(["swep", "Trial", "help", junk(rng)])],
            ["query"],
            ["trial"],
        ]
    )
    return Case(
        "option",
        [a for part in argv for a in (part.split(" ") if part in ("digits --set",) else [part])],
    )


SQL = [
    "select * from read_csv('/etc/passwd')",
    "select * from read_text('/etc/hostname')",
    "select * from glob('/*')",
    "select * from glob('.tmp/*')",
    "select * from read_csv('.tmp/secret.csv')",
    "select * from parquet_metadata('/etc/x')",
    "select * from read_parquet('http://127.0.0.1:9/x.parquet')",
    "select * from 's3://bucket/x.parquet'",
    "select * from 'https://127.0.0.1:9/x.csv'",
    "attach 'x.db' as x",
    "detach trials",
    "install httpfs",
    "load httpfs",
    "set threads=1",
    "pragma version",
    "pragma database_list",
    "copy trials to 'out.csv'",
    "copy (select 1) to '.tmp/x.csv'",
    "export database 'dump'",
    "explain analyze copy (select 'x') to '.tmp/secret.csv'",
    "explain analyze create table t as select 1",
    "create table t as select 1",
    "insert into trials select * from trials",
    "delete from trials",
    "drop table trials",
    "update trials set status='x'",
    "select 1; select 2",
    "select 1; attach 'x.db'",
    "/* comment */ attach 'x.db'",
    "select 1 -- \n; attach 'x.db'",
    "select * from query('attach ''x.db''')",
    "select * from query_table('/etc/passwd')",
    "call pragma_version(); attach 'x.db'",
    "checkpoint",
    "vacuum",
    "begin transaction",
    "select * from nosuchtable",
    "selec 1",
    "",
    " ",
    ";",
    "select",
    "select * from trials where",
    "select * from read_json_auto('/proc/self/environ')",
    "select * from sniff_csv('/etc/passwd')",
    "select getenv('HOME')",
    "use memory",
    "create macro m() as 1",
    "with x as (select 1) insert into trials select 1",
    "summarize select * from '/etc/passwd'",
]


def sql_cases(rng: random.Random, ws: Workspace) -> Case:
    sql = rng.choice([*SQL, junk(rng, 20), "select " + junk(rng, 12) + " from trials"])
    return Case("sql", ["query", sql, "--store", str(ws.store)])


GENERATORS: list[tuple[Callable[[random.Random, Workspace], Case], int]] = [
    (space_cases, 30),
    (path_cases, 3),
    (set_cases, 14),
    (name_cases, 14),
    (url_cases, 10),
    (option_cases, 14),
    (sql_cases, 15),
]


def fixed_cases(ws: Workspace) -> list[Case]:
    """Bad invocations of `best` and of `--set` on sweep and resume, the same in every run
    (added after the generated ones, so the seeded sequence above stays as it was)."""
    good, store = str(ws.good), str(ws.store)
    return [
        Case("option", argv)
        for argv in [
            ["best", "nosuchsweep", "--store", store],
            ["best", "../x", "--store", store],
            ["best", "trial", "--store", store, "--format", "toml"],
            ["best", "trial", "--store", store, "--metric", "val_metic"],
            ["best", "trial", "--store", store, "--mode", "up"],
            ["sweep", good, "--store", store, "--set", "num_sample=2"],
            ["sweep", good, "--store", store, "--set", "epochs=0"],
            ["sweep", good, "--store", store, "--set", "scheduler.zz=1"],
            ["sweep", good, "--store", store, "--set", "noequals"],
            ["resume", "nosuchsweep", "--set", "epochs=2"],
        ]
    ]


def generate(count: int, rng: random.Random, ws: Workspace, only: str | None) -> list[Case]:
    chosen = [(m, w) for m, w in GENERATORS if only is None or m.__name__.startswith(only)]
    if not chosen:  # --only r: the round-3 cases alone
        return []
    makers, weights = zip(*chosen, strict=True)
    return [rng.choices(makers, weights)[0](rng, ws) for _ in range(count)]


# -- running --------------------------------------------------------------------------------


def run_in_process(argv: list[str], env: dict[str, str] | None = None) -> Outcome:
    """``pipeline.cli.main(argv)`` with its streams captured, a time limit and ``env`` set."""
    import traceback

    from pipeline import cli

    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    saved = {key: os.environ.get(key) for key in env or {}}
    os.environ.update(env or {})
    signal.alarm(CASE_SECONDS)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            cli.main(argv)
        code: object = 0
        trace = None
    except SystemExit as ended:
        code, trace = ended.code, None
    except BaseException as error:  # a traceback the user would have seen (or a hang)
        code, trace = "raised", "".join(traceback.format_exception_only(error)).strip()
    finally:
        signal.alarm(0)
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.update({key: value})
    return Outcome(code, out.getvalue() + err.getvalue(), trace, time.perf_counter() - started)


def run_subprocess(argv: list[str], env: dict[str, str], cwd: Path) -> Outcome:
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", *argv],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=CASE_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Outcome("timeout", "", "hang", time.perf_counter() - started)
    trace = "Traceback" if "Traceback (most recent call last)" in done.stderr else None
    return Outcome(done.returncode, done.stdout + done.stderr, trace, time.perf_counter() - started)


def verdict(outcome: Outcome, expect: Any = None) -> str | None:
    """None when the case behaved: exit 2 and exactly one line, starting with ``error:`` and at
    most 1,100 characters (or what ``expect`` says: other exit codes, text held or not)."""
    if outcome.traceback is not None:
        return f"traceback: {outcome.traceback.splitlines()[-1][:160]}"
    if "Traceback (most recent call last)" in outcome.output:
        return "traceback in the output"
    if outcome.code not in (expect.codes if expect else (2,)):
        return f"exit {outcome.code}"
    if expect and expect.contains and expect.contains not in outcome.output:
        return f"expected {expect.contains[:80]!r}"
    if expect and expect.lacks and expect.lacks in outcome.output:
        return f"unexpected {expect.lacks[:80]!r}"
    if outcome.code != 2:
        return None
    lines = outcome.output.strip("\n").split("\n")
    if len(lines) != 1 or not lines[0].startswith("error: ") or len(lines[0]) > 1100:
        return f"{len(lines)} lines, first: {lines[0][:100]!r}"
    return None


def forbid_ray() -> None:
    import pipeline.sweep._connect as connecting

    def no_ray(*args, **kwargs):
        raise RayStarted("a bad invocation reached Ray")

    connecting.connect = no_ray  # launch and resume reach Ray only through this name


def seed_store(ws: Workspace) -> None:
    """One real trial in the store, so queries and analyses have something to protect."""
    from pipeline import cli

    quiet = contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO())
    with quiet[0], quiet[1], contextlib.suppress(SystemExit):
        cli.main(["trial", str(ws.good), "--store", str(ws.store)])
    if not any(ws.store.rglob("*.parquet")):
        raise SystemExit("could not seed the store with one trial")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--subprocesses", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--only",
        choices=sorted({m.__name__.split("_")[0] for m, _ in GENERATORS} | {"r"}),
        help="generate one category only",
    )
    parser.add_argument("--all", action="store_true", help="print every failing case")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="symsearch-fuzz-") as folder:
        ws = Workspace(Path(folder))
        env = {
            **os.environ,
            "SYMSEARCH_OUTPUTS": str(ws.outputs),
            "AWS_ACCESS_KEY_ID": "fuzz",
            "AWS_SECRET_ACCESS_KEY": "fuzz",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "AWS_MAX_ATTEMPTS": "1",
            "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0",
        }
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")])
        )
        os.environ.update(env)  # in-process cases see the same environment
        os.chdir(ws.root)  # relative paths (DuckDB's .tmp among them) stay inside
        forbid_ray()
        started = time.perf_counter()
        seed_store(ws)
        cases = generate(args.cases, rng, ws, args.only)
        subprocess_cases = rng.sample(
            [c for c in cases if c.argv[0] not in ("sweep", "resume")],
            min(args.subprocesses, len(cases)),
        )
        cases += fixed_cases(ws) if args.only in (None, "option") else []
        cases += [Case(*case) for case in round3_cases(ws)] if args.only in (None, "r") else []
        results = run_all(cases, "in-process", ws, run_in_process)
        results += run_all(
            subprocess_cases, "subprocess", ws, lambda argv: run_subprocess(argv, env, ws.root)
        )
        report(results, time.perf_counter() - started, every=args.all)


def run_all(
    cases: list[Case], mode: str, ws: Workspace, run: Callable[[list[str]], Outcome]
) -> list[Result]:
    """Each case with its verdict; a case after which any stored byte differs fails too."""
    results = []
    before = ws.snapshot()
    for number, case in enumerate(cases, 1):
        if number % 100 == 0:
            print(f"{mode}: {number}/{len(cases)}", file=sys.__stderr__, flush=True)
        env = case.expect.env if case.expect else {}
        outcome = run(case.argv, env) if env else run(case.argv)
        problem = verdict(outcome, case.expect)
        after = ws.snapshot()
        if after != before:
            changed = sorted(set(after.items()) ^ set(before.items()))
            where = Path(changed[0][0]).relative_to(ws.root)
            note = f"store or records changed ({len(changed)} files, e.g. {where})"
            problem = f"{problem}; {note}" if problem else note
            before = after
        results.append((case, mode, outcome, problem))
    return results


def _timeout(signum: int, frame: object) -> None:
    raise TimeoutError(f"no answer within {CASE_SECONDS} s")


if __name__ == "__main__":
    signal.signal(signal.SIGALRM, _timeout)
    main()
