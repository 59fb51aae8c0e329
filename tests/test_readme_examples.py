"""The README's command-line examples are run, and their output must be what the README shows.

Every ```console block of README.md holds ``$ kg ...`` lines, each followed by the output it
prints (standard output and errors, at COLUMNS=100, the graph built from data/). A change to
the code or the data that changes an example fails this test; regenerate the blocks with

    python -m tests.test_readme_examples --update

and review the diff of README.md, as sqlite-utils does with cog.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
WIDTH = "100"
BLOCK = re.compile(r"^```console\n(.*?)^```$", re.DOTALL | re.MULTILINE)


@dataclass(frozen=True)
class Example:
    command: str  # as written after "$ "
    output: str  # as the README shows it
    line: int  # of the command in README.md


def examples(text: str) -> list[Example]:
    """The ``$ kg ...`` lines of every console block, each with the output under it."""
    found = []
    for block in BLOCK.finditer(text):
        first_line = text.count("\n", 0, block.start(1)) + 1
        command: str | None = None
        output: list[str] = []
        at = first_line
        for number, line in enumerate(block.group(1).splitlines(), first_line):
            if line.startswith("$ "):
                if command is not None:
                    found.append(Example(command, "\n".join(output), at))
                command, output, at = line[2:], [], number
            elif command is not None:
                output.append(line)
        if command is not None:
            found.append(Example(command, "\n".join(output), at))
    return found


def run(command: str) -> str:
    """What ``command`` prints (stdout and stderr), with the trailing blank lines removed."""
    words = shlex.split(command, comments=True)
    if words[0] != "kg":
        raise ValueError(f"a README console example runs kg, not {words[0]!r}: {command}")
    result = CliRunner(env={"COLUMNS": WIDTH, "KG_ROOT": str(ROOT)}).invoke(main, words[1:])
    return result.output.rstrip("\n")


def update(text: str) -> str:
    """README text with every console block's outputs replaced by what the commands print."""

    def block(match: re.Match[str]) -> str:
        lines = [line for line in match.group(1).splitlines() if line.startswith("$ ")]
        parts = []
        for line in lines:
            printed = run(line[2:])
            parts.append(line + ("\n" + printed if printed else ""))
        return "```console\n" + "\n\n".join(parts) + "\n```"

    return BLOCK.sub(block, text)


def test_the_readme_has_console_examples_of_the_questions():
    commands = {e.command.split()[1] for e in examples(README.read_text(encoding="utf-8"))}
    assert {"entities", "articles", "show", "as-of", "corroboration", "single-source"} <= commands


@pytest.mark.parametrize(
    "example", examples(README.read_text(encoding="utf-8")), ids=lambda e: f"L{e.line}"
)
def test_readme_example_prints_what_the_readme_shows(example):
    assert run(example.command) == example.output.rstrip("\n"), (
        f"README.md:{example.line}: `{example.command}` prints something else — "
        "run `python -m tests.test_readme_examples --update` and review the diff"
    )


def test_examples_are_read_with_their_output():
    text = "x\n```console\n$ kg a\nout 1\n\n$ kg b  # note\n```\n"
    assert examples(text) == [Example("kg a", "out 1\n", 3), Example("kg b  # note", "", 6)]


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python -m tests.test_readme_examples --update")
    README.write_text(update(README.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"updated the console examples of {README}")
