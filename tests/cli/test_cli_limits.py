"""``--set`` values meet a space file's YAML limits (size, nesting, alias expansion), and an
error line quotes at most 200 characters of what was given."""

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()
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
LONG_BROKEN = "[" * 3 + "x" * 5000 + "}"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (ALIAS_BOMB, "more than 100000 values"),
        ("9" * 5001, "cannot read value '9999"),
        ("x" * (70 * 1024), "a value of more than 64 KiB"),
        (LONG_BROKEN, "cannot read value"),
        ("[" * 40 + "]" * 40, "nested too deeply"),
    ],
)
@pytest.mark.parametrize("command", ["trial", "sweep"])
def test_set_values_meet_the_yaml_limits_in_one_short_line(tmp_path, command, value, message):
    space = tmp_path / "space.yaml"
    space.write_text("dataset: {name: signals}\n")
    key = "epochs" if value.startswith("9") else "dataset.n_samples"
    done = runner.invoke(app, [command, str(space), "--set", f"{key}={value}"])
    assert done.exit_code == 2, done.output
    assert message in done.output and done.output.strip().count("\n") == 0
    assert len(done.output) < 500, done.output[:600]
    assert not (tmp_path / "outputs").exists()
