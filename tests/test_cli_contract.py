"""Every command has help with an example, an API twin and a README mention."""

from __future__ import annotations

import importlib

import pytest
from click.testing import CliRunner

from kg import api
from kg.cli import main
from kg.knowledge import KnowledgeGraph
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
# The API function or KnowledgeGraph method each command calls, where its name differs.
# A twin outside kg.api is written "module:function" (kg.bench is a client of the API, not in it).
TWINS = {
    "show": "entity",
    "html": "write_html",
    "stats": "stats",
    "bench": "kg.bench:run_bench",
    "entities": "find_entities",
    "articles": "find_articles",
    "single-source": "single_source_entities",
}


@pytest.mark.parametrize("name", sorted(main.commands))
def test_command_has_help_with_an_example(name):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"kg {name} --help shows no example"


@pytest.mark.parametrize("name", sorted(main.commands))
def test_command_has_an_api_twin(name):
    twin = TWINS.get(name, name.replace("-", "_"))
    if ":" in twin:
        module, function = twin.split(":")
        assert callable(getattr(importlib.import_module(module), function, None)), twin
        return
    assert hasattr(api, twin) or hasattr(KnowledgeGraph, twin), f"kg {name} has no API twin"


@pytest.mark.parametrize("name", sorted(main.commands))
def test_command_is_in_the_readme(name):
    assert f"kg {name}" in README, f"README does not mention kg {name}"


def test_usage_error_exits_2_and_user_error_exits_1():
    runner = CliRunner()
    usage = runner.invoke(main, ["paths"])
    assert (usage.exit_code, usage.output) == (
        2,
        "kg: Missing argument 'A' — see 'kg paths --help'\n",
    )
    assert "exit code 2" in README and "exit code 1" in README
    result = runner.invoke(main, ["show", "Institute of Forensic Sciense"])
    assert result.exit_code == 1
    assert "did you mean" in result.output
