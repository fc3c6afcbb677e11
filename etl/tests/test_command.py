"""manage.py etl: load, batches, rollback and watch, on real files."""

import os
import time

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from etl.models import Batch
from etl.pipeline import table_for
from sales.models import SaleLine

pytestmark = pytest.mark.django_db

HEADER = (
    "product_id,sale_date,customer_id,promotion_id,store_id,store_sales,store_cost,unit_sales\n"
)


def sales_file(path, *lines):
    path.write_text(HEADER + "".join(line + "\n" for line in lines))
    return path


@pytest.mark.parametrize(
    "name,table",
    [
        ("sales_fact_1997.csv", "sales_fact"),
        ("sales_fact_1998_03.csv", "sales_fact"),
        ("inventory_fact_1998.xlsx", "inventory_fact"),
        ("Store.CSV", "store"),
        ("expense_fact.csv", "expense_fact"),
    ],
)
def test_table_comes_from_the_file_name(name, table):
    assert table_for(name) == table


def test_load_prints_a_summary_and_rollback_undoes_it(tmp_path, capsys):
    path = sales_file(
        tmp_path / "sales_fact_1998_02.csv",
        "1,1998-02-03,3,0,6,2.5000,1.0000,1",
        "2,1998-02-04,3,0,6,3.5000,1.5000,2",
    )
    before = SaleLine.objects.count()
    call_command("etl", "load", str(path))
    out = capsys.readouterr().out
    batch = Batch.objects.get(source_name=path.name)
    assert f"batch {batch.pk} done" in out and "inserted 2" in out
    assert batch.started_by == "command" and batch.rows_inserted == 2
    assert SaleLine.objects.filter(batch=batch).aggregate(s=Sum("store_sales"))["s"] == 6

    call_command("etl", "batches", "--limit", "3")
    assert path.name in capsys.readouterr().out

    call_command("etl", "rollback", str(batch.pk))
    assert "2 row(s) removed" in capsys.readouterr().out
    assert SaleLine.objects.count() == before
    batch.refresh_from_db()
    assert batch.status == Batch.Status.ROLLED_BACK


def test_load_exits_non_zero_and_loads_nothing_when_a_row_is_bad(tmp_path, capsys):
    path = sales_file(
        tmp_path / "sales_fact_1998_02.csv",
        "1,1998-02-03,3,0,6,2.5000,1.0000,1",
        "1,1998-02-03,3,0,999,2.5000,1.0000,1",
    )
    before = SaleLine.objects.count()
    with pytest.raises(CommandError, match="1 of 1 file"):
        call_command("etl", "load", str(path))
    err = capsys.readouterr().err
    assert "row 3, column store_id = '999': unknown store" in err
    assert (tmp_path / "sales_fact_1998_02.csv.errors.csv").exists()
    assert SaleLine.objects.count() == before
    assert Batch.objects.get(source_name=path.name).status == Batch.Status.FAILED


def test_dry_run_validates_and_writes_nothing(tmp_path, capsys):
    path = sales_file(tmp_path / "sales_fact_1998_05.csv", "1,1998-02-03,3,0,6,2.5000,1.0000,1")
    batches = Batch.objects.count()
    call_command("etl", "load", str(path), "--dry-run")
    assert "dry run, nothing written" in capsys.readouterr().out
    assert Batch.objects.count() == batches
    assert not SaleLine.objects.filter(sale_date="1998-02-03").exists()


def test_keep_valid_loads_the_good_rows_and_reports_the_rest(tmp_path, capsys):
    path = sales_file(
        tmp_path / "sales_fact_1998_05.csv",
        "1,1998-02-03,3,0,6,2.5000,1.0000,1",
        "1,1998-02-31,3,0,6,2.5000,1.0000,1",
    )
    with pytest.raises(CommandError):  # exit status says: not all loaded
        call_command("etl", "load", str(path), "--keep-valid")
    batch = Batch.objects.get(source_name=path.name)
    assert (batch.status, batch.rows_inserted, batch.rows_rejected) == ("done", 1, 1)
    report = (tmp_path / "sales_fact_1998_05.csv.errors.csv").read_text()
    assert "1998-02-31" in report and "not a date" in report


def test_watch_loads_dropped_files_and_sorts_them(tmp_path, capsys):
    good = sales_file(tmp_path / "sales_fact_1998_06.csv", "1,1998-02-03,3,0,6,2.5000,1.0000,1")
    bad = sales_file(tmp_path / "sales_fact_1998_07.csv", "1,1998-02-03,3,0,6,-2.5000,1.0000,1")
    old = time.time() - 60  # files still being written are left alone
    for path in (good, bad):
        os.utime(path, (old, old))
    call_command("etl", "watch", str(tmp_path), "--once")
    assert (tmp_path / "done" / "sales_fact_1998_06.csv").exists()
    assert (tmp_path / "failed" / "sales_fact_1998_07.csv").exists()
    assert (tmp_path / "failed" / "sales_fact_1998_07.csv.errors.csv").exists()
    assert Batch.objects.get(source_name="sales_fact_1998_06.csv").started_by == "watch"


def test_rollback_of_an_unknown_batch_is_a_clear_error():
    with pytest.raises(CommandError, match="No batch 987654"):
        call_command("etl", "rollback", "987654")


def test_an_unknown_table_is_named_with_the_known_ones(tmp_path, capsys):
    path = sales_file(tmp_path / "sales_facts.csv", "1,1998-02-03,3,0,6,2.5000,1.0000,1")
    with pytest.raises(CommandError):
        call_command("etl", "load", str(path))
    assert "No table named 'sales_facts'; known tables:" in capsys.readouterr().err


def test_every_foodmart_file_loads_through_etl_load_as_load_foodmart_did(foodmart_dir, capsys):
    """The same files through the command line door, one by one: the
    dimensions come out unchanged, the facts (undone first) identical."""
    from etl.foodmart import files_for
    from etl.pipeline import rollback
    from etl.specs import specs_in_load_order

    facts = [s for s in specs_in_load_order() if s.is_fact]
    totals = {}
    for spec in facts:
        measures = [f.name for f in spec.fields() if f.get_internal_type() == "DecimalField"]
        totals[spec.name] = (
            spec.model.objects.count(),
            spec.model.objects.aggregate(**{m: Sum(m) for m in measures}),
        )
        for batch in Batch.objects.filter(table=spec.name, status="done").order_by("-pk"):
            rollback(batch)
        assert spec.model.objects.count() == 0
    for spec in specs_in_load_order():
        for path in files_for(spec, foodmart_dir):
            call_command("etl", "load", str(path), "--table", spec.name)
            line = capsys.readouterr().out
            if spec.is_fact:
                assert "done" in line and "rejected 0" in line
            else:
                assert "inserted 0, updated 0" in line, line
    for spec in facts:
        measures = totals[spec.name][1]
        assert spec.model.objects.count() == totals[spec.name][0]
        assert spec.model.objects.aggregate(**{m: Sum(m) for m in measures}) == measures


def test_a_file_with_thousands_of_repeated_rows_is_refused(tmp_path, capsys):
    """Thousands of repeats: the exact check stays set-based (it once joined
    on IS NOT DISTINCT FROM, a nested loop that ran for minutes here)."""
    rows = [f"{1 + i % 50},1999-0{1 + i % 9}-01,3,0,6,1.25,1.00,1" for i in range(20_000)]
    path = sales_file(tmp_path / "sales_fact_repeats.csv", *rows)
    with pytest.raises(CommandError):
        call_command("etl", "load", str(path), "--table", "sales_fact")
    assert "repeats the values of row" in capsys.readouterr().err
