"""notebooks/etl.ipynb runs from top to bottom, in a Jupyter kernel on the
project's Python, against the test database (the data the session loaded),
and leaves the sale lines as it found them."""

import json
import re
import sys

import nbformat
import pytest
from django.conf import settings
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

from etl.models import Batch
from etl.pipeline import rollback
from foodmart_site.tests.utils import url_of_test_database
from sales.models import SaleLine

NOTEBOOK = settings.BASE_DIR / "notebooks" / "etl.ipynb"
KERNEL = "foodmart-test"
SUMMARY = re.compile(
    r"batch (\d+) done: DataFrame -> sales_fact \(append\), read 4, inserted 4, "
    r"updated 0, unchanged 0, deleted 0, rejected 0"
)


@pytest.fixture(scope="module")
def test_database_url(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return url_of_test_database()


@pytest.fixture
def kernel_manager(tmp_path, test_database_url):
    """A kernel on this interpreter (the project's .venv, not whatever
    "python3" kernel Jupyter finds), pointed at the test database."""
    spec_dir = tmp_path / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Foodmart test database",
        "language": "python",
        "env": {
            "DATABASE_URL": test_database_url,
            "DJANGO_SETTINGS_MODULE": "foodmart_site.settings_test",
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        },
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    specs = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    return AsyncKernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)


def outputs_of(nb) -> dict[str, str]:
    """The text a cell showed (streams and plain-text results), by cell id."""
    texts = {}
    for cell in nb.cells:
        parts = []
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                parts.append(output.text)
            elif output.output_type in {"execute_result", "display_data"}:
                parts.append(output.data.get("text/plain", ""))
        texts[cell.id] = "".join(parts)
    return texts


@pytest.mark.parametrize(
    "path", sorted((settings.BASE_DIR / "notebooks").glob("*.ipynb")), ids=lambda p: p.name
)
def test_stored_notebooks_have_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.slow
def test_notebook_runs_on_the_test_database(kernel_manager, django_db_blocker):
    with django_db_blocker.unblock():
        lines_before = SaleLine.objects.count()
        last_batch = Batch.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # One more cell, after the notebook's own: which Python ran it.
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)", id="python"))
    client = NotebookClient(
        nb,
        km=kernel_manager,
        timeout=180,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},  # the kernel's cwd, as Jupyter
    )
    try:
        # cleanup_kc: shut the kernel down (nbclient leaves a kernel it did
        # not start running); raises CellExecutionError when a cell fails.
        client.execute(cleanup_kc=True)
    finally:
        with django_db_blocker.unblock():  # a run stopped half way: undo its load
            for left in Batch.objects.filter(
                pk__gt=last_batch, started_by="notebook", status=Batch.Status.DONE
            ):
                rollback(left)
    assert not kernel_manager.has_kernel

    out = outputs_of(nb)
    assert out["python"].strip() == sys.executable, "the kernel ran another Python"
    loaded = SUMMARY.search(out["load"])
    assert loaded, out["load"]
    batch_id = int(loaded.group(1))
    assert batch_id > last_batch  # a batch of this run, in the test database
    assert "unknown store" in out["refused"]
    assert "-8.55" in out["refused"]
    assert "Store 6" in out["per-store"]
    assert "Drink" in out["by-family"] and "Food" in out["by-family"]
    assert any(
        "image/png" in o.get("data", {}) for c in nb.cells if c.id == "chart" for o in c.outputs
    )
    assert out["undo"].startswith("removed 4 sale lines")

    with django_db_blocker.unblock():
        assert SaleLine.objects.count() == lines_before
        assert not SaleLine.objects.filter(batch_id__gt=last_batch).exists()
        runs = Batch.objects.filter(pk__gt=last_batch, started_by="notebook")
        assert dict(runs.values_list("pk", "status")) == {
            batch_id: Batch.Status.ROLLED_BACK,
            batch_id + 1: Batch.Status.FAILED,
        }
