"""notebooks/analysis.ipynb runs from top to bottom in a Jupyter kernel on
the project's Python, against the test database, as the reader role."""

import sys

import nbformat
import pytest
from django.conf import settings
from nbclient import NotebookClient

from etl.tests.test_notebook import outputs_of

NOTEBOOK = settings.BASE_DIR / "notebooks" / "analysis.ipynb"


@pytest.mark.slow
def test_notebook_reads_through_the_read_only_engine(kernel_manager):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)", id="python"))
    client = NotebookClient(
        nb,
        km=kernel_manager,
        timeout=180,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute(cleanup_kc=True)
    assert not kernel_manager.has_kernel

    out = outputs_of(nb)
    assert out["python"].strip() == sys.executable, "the kernel ran another Python"
    assert "foodmart_workbench" in out["engine"]
    assert " on " in out["engine"] and "30s" in out["engine"]
    assert "Deluxe Supermarket" in out["by-month"] and "1997-12-01" in out["by-month"]
    assert any(
        "image/png" in o.get("data", {}) for c in nb.cells if c.id == "chart" for o in c.outputs
    )
    assert "answered from" in out["layer"]
    assert "Food" in out["layer"] and "Non-Consumable" in out["layer"]
    assert out["refused"].strip() == "refused: cannot execute UPDATE in a read-only transaction"
