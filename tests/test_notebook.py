"""examples/tour.ipynb runs top to bottom in a real Jupyter kernel (nbclient + ipykernel).

The notebook is committed with its outputs so that it reads well on a code host. The test runs
it again and fails on any error, and checks that the committed outputs of the cells tagged
``check`` are those of a real run. After a change of data/ or of what those cells show, write
the fresh outputs with ``KG_UPDATE_NOTEBOOK=1 python -m pytest tests/test_notebook.py`` (and
copy the first cells' outputs into README.md, which shows them).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need_module

nbformat = need_module("nbformat", module_level=True)
nbclient = need_module("nbclient", module_level=True)
need_module("ipykernel", module_level=True)
need_module("pandas", module_level=True)

ROOT = Path(__file__).resolve().parent.parent
TOUR = ROOT / "examples" / "tour.ipynb"
UPDATE = os.environ.get("KG_UPDATE_NOTEBOOK") == "1"

pytestmark = pytest.mark.slow


def _code_cells(notebook: Any) -> list[Any]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _shown(cell: Any) -> list[dict[str, Any]]:
    """What a cell showed: each output's kind and data (text, HTML), without run metadata."""
    shown = []
    for output in cell.outputs:
        if output.output_type == "stream":
            shown.append({"stream": output.name, "text": output.text})
        elif output.output_type in ("execute_result", "display_data"):
            shown.append({"data": dict(output.data)})
        else:
            shown.append({"error": output.get("ename")})
    return shown


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The committed notebook, run again in a fresh python3 kernel from examples/."""
    from traitlets.config import Config

    notebook = nbformat.read(TOUR, as_version=4)
    fresh = copy.deepcopy(notebook)
    # the kernel talks over Unix sockets: TCP ports chosen free can be taken by another
    # process before the kernel binds them, which kills the kernel at start-up
    sockets = tmp_path_factory.mktemp("kernel") / "kernel"
    client = nbclient.NotebookClient(
        fresh,
        config=Config({"KernelManager": {"transport": "ipc", "ip": str(sockets)}}),
        timeout=600,
        startup_timeout=300,  # a loaded machine can take more than the default 60 s
        kernel_name="python3",
        resources={"metadata": {"path": str(TOUR.parent)}},
        record_timing=False,
    )
    client.execute()  # raises CellExecutionError on the first cell that fails
    if UPDATE:
        nbformat.write(fresh, TOUR)
    return fresh


def test_tour_runs_without_errors(executed):
    cells = _code_cells(executed)
    assert len(cells) >= 10
    for cell in cells:
        assert cell.execution_count is not None
        assert all(o.output_type != "error" for o in cell.outputs), cell.source
        assert cell.outputs, f"a tour cell that shows nothing: {cell.source!r}"


def test_committed_outputs_are_those_of_a_real_run(executed):
    committed = _code_cells(nbformat.read(TOUR, as_version=4))
    fresh = _code_cells(executed)
    assert [c.source for c in committed] == [c.source for c in fresh]
    checked = 0
    for old, new in zip(committed, fresh, strict=True):
        assert old.outputs, f"committed without outputs: {old.source!r} — see the module doc"
        if "check" in old.metadata.get("tags", []):
            assert _shown(old) == _shown(new), (
                f"stale output of {old.source!r}: KG_UPDATE_NOTEBOOK=1 python -m pytest "
                "tests/test_notebook.py"
            )
            checked += 1
    assert checked >= 4


def test_tour_shows_tables_dataframes_and_the_inline_graph(executed):
    html = [
        output.data["text/html"]
        for cell in _code_cells(executed)
        for output in cell.outputs
        if "data" in output and "text/html" in output.data
    ]
    assert any(h.startswith("<iframe srcdoc=") for h in html)  # the graph page, inline
    assert any('class="dataframe' in h for h in html)  # pandas
    assert any('class="kg-table"' in h for h in html)  # kg's own tables
    assert not any("https://cdn" in h or "unpkg.com" in h for h in html)


def test_readme_shows_the_first_cells_of_the_tour():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    cells = _code_cells(nbformat.read(TOUR, as_version=4))  # as committed
    for cell in cells[:4]:
        assert f"```python\n{cell.source}\n```" in readme, cell.source
    for cell in (cells[0], cells[3]):
        assert f"```\n{cell.outputs[0].data['text/plain']}\n```" in readme
