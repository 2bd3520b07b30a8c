"""Every notebook is stored with its figures (it reads on a code host without running) and runs
top to bottom from a clean state (small settings, CPU). `make notebooks` re-executes and stores
them."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


SLOW = ("03_hierarchical",)  # nearly 3 minutes fresh here: make test-slow runs it


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_with_figures(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), f"{path.name}: run it (make notebooks)"
    figures = [o for c in code for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert figures, f"{path.name} is stored without its figures (make notebooks)"
    stored = path.read_text()
    assert "site-packages" not in stored and "IProgress" not in stored, (
        f"{path.name}: machine paths"
    )


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=pytest.mark.slow) if p.stem in SLOW else p for p in NOTEBOOKS],
    ids=[p.stem for p in NOTEBOOKS],
)
def test_notebook_runs_fresh(path, tmp_path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    monkeypatch.setenv("MPC_JEPA_QUICK", "1")  # notebooks that train big models use tiny ones
    for cell in code:  # execute from a clean state, not from the stored outputs
        cell.outputs, cell.execution_count = [], None
    client = NotebookClient(
        nb, timeout=3600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code")
    stderr = [o["text"] for c in code for o in c.outputs if o.get("name") == "stderr"]
    assert not any("IProgress" in t for t in stderr), f"{path.name}: the widget warning is back"
