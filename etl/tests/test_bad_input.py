"""What the pipeline does with the files people really send: wrong ids,
wrong types, impossible dates, wrong shapes, wrong formats, files sent
twice, loads undone and loads killed halfway.

Every case goes through the real door (``etl.pipeline.run`` or
``manage.py etl load``) into the real PostgreSQL test database that holds
the whole FoodMart data, and checks three things: the message names the
file, the row as a spreadsheet user counts it (header = row 1), the
column, the value and the reason; the tables are exactly as before; and
the failure is recorded as a failed batch (unless the file was refused
before a batch was made). Files are generated in ``tmp_path``.
"""

import csv
import io
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlsxwriter
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Sum

from etl.models import Batch
from etl.pipeline import AlreadyLoaded, LoadFailed, fail_abandoned_batches, rollback, run
from etl.specs import UnknownTable
from foodmart_site.tests.utils import url_of_test_database
from inventory.models import Product, Store
from sales.models import Customer, SaleLine

SALE_COLUMNS = [
    "product_id",
    "sale_date",
    "customer_id",
    "promotion_id",
    "store_id",
    "store_sales",
    "store_cost",
    "unit_sales",
]
FRIENDLY_COLUMNS = ["Product", "Date", "Customer", "Promotion", "Store", "Sales", "Cost", "Units"]
# Sale lines of existing products, customers and stores, on days of 1998
# (the FoodMart sale lines are all of 1997, so none of these is loaded).
GOOD_SALES = [
    ["337", "1998-01-05", "6280", "0", "2", "1.5000", "0.5100", "2.0000"],
    ["1512", "1998-01-05", "6280", "0", "2", "1.6200", "0.6318", "3.0000"],
    ["963", "1998-01-06", "4018", "0", "2", "2.4000", "0.7200", "1.0000"],
]
MEASURES = ["store_sales", "store_cost", "unit_sales"]


# --- Helpers ------------------------------------------------------------------


def write_csv(path: Path, header, rows, *, delimiter=",", encoding="utf-8") -> Path:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def sales_file(tmp_path: Path, rows, *, name="new_sales.csv", header=SALE_COLUMNS, **kw) -> Path:
    return write_csv(tmp_path / name, header, rows, **kw)


def with_cell(row: list[str], column: str, value: str) -> list[str]:
    changed = list(row)
    changed[SALE_COLUMNS.index(column)] = value
    return changed


def sales_state():
    """Count and totals of every sale line: what a failed load must not change."""
    return SaleLine.objects.aggregate(n=Count("id"), **{m: Sum(m) for m in MEASURES})


def sale_rows(date_from: str, date_to: str) -> set[tuple]:
    """Every column of the sale lines of a date range."""
    lines = SaleLine.objects.filter(sale_date__range=(date_from, date_to))
    return set(lines.values_list())


def loaded_rows(batch: Batch) -> list[tuple]:
    """A batch's sale lines as the file's text: product, date, customer,
    promotion, store, sales, cost, units."""
    return sorted(
        (
            str(line.product_id),
            line.sale_date.isoformat(),
            str(line.customer_id),
            str(line.promotion_id),
            str(line.store_id),
            f"{line.store_sales:.4f}",
            f"{line.store_cost:.4f}",
            f"{line.unit_sales:.4f}",
        )
        for line in SaleLine.objects.filter(batch=batch)
    )


def problems_of(failure: LoadFailed) -> list[tuple]:
    return [(p.file, p.row, p.column, p.value, p.reason) for p in failure.problems]


def assert_recorded_as_failed(failure: LoadFailed) -> Batch:
    """The failure kept its batch record, marked failed, with the problems
    (or, for a file that could not be read, the message) as its report."""
    assert failure.batch is not None and failure.batch.pk is not None
    batch = Batch.objects.get(pk=failure.batch.pk)
    assert batch.status == Batch.Status.FAILED
    assert batch.finished_at is not None
    assert (batch.rows_inserted, batch.rows_updated, batch.rows_deleted) == (0, 0, 0)
    if failure.problems:
        header, *rows = csv.reader(io.StringIO(batch.error_report))
        assert header == ["file", "row", "column", "value", "reason"]
        assert rows == [list(map(str, p)) for p in problems_of(failure)]
        assert batch.rows_rejected == len({p.row for p in failure.problems})
    else:
        assert batch.error_report == str(failure)
    return batch


def fail_to_load(path: Path, **options) -> LoadFailed:
    with pytest.raises(LoadFailed) as caught:
        run(path, **options)
    return caught.value


# --- Wrong values ------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_store_product_and_customer_are_reported_with_row_and_nothing_loads(tmp_path):
    path = sales_file(
        tmp_path,
        [
            GOOD_SALES[0],
            with_cell(GOOD_SALES[1], "store_id", "999"),
            with_cell(GOOD_SALES[2], "product_id", "99999"),
            with_cell(GOOD_SALES[0], "customer_id", "99999"),
        ],
    )
    before = sales_state()
    failure = fail_to_load(path, table="sales_fact")
    assert problems_of(failure) == [
        ("new_sales.csv", 3, "store_id", "999", "unknown store"),
        ("new_sales.csv", 4, "product_id", "99999", "unknown product"),
        ("new_sales.csv", 5, "customer_id", "99999", "unknown customer"),
    ]
    assert "new_sales.csv, row 3, column store_id = '999': unknown store" in str(failure)
    assert sales_state() == before
    assert assert_recorded_as_failed(failure).rows_rejected == 3


@pytest.mark.django_db
def test_unknown_store_through_the_command_prints_the_row_and_fails(tmp_path):
    path = sales_file(tmp_path, [GOOD_SALES[0], with_cell(GOOD_SALES[1], "store_id", "999")])
    before = sales_state()
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 of 1 file"):
        call_command("etl", "load", str(path), "--table", "sales_fact", stdout=out, stderr=err)
    assert "new_sales.csv: not loaded" in err.getvalue()
    assert "new_sales.csv, row 3, column store_id = '999': unknown store" in err.getvalue()
    assert f"report: {path}.errors.csv" in err.getvalue()
    assert sales_state() == before
    assert Batch.objects.get(source_name="new_sales.csv").status == Batch.Status.FAILED


@pytest.mark.django_db
def test_text_in_a_number_column_is_reported_with_row_and_nothing_loads(tmp_path):
    path = sales_file(
        tmp_path,
        [
            GOOD_SALES[0],
            with_cell(GOOD_SALES[1], "store_sales", "abc"),
            with_cell(GOOD_SALES[2], "store_id", "two"),
        ],
    )
    before = sales_state()
    failure = fail_to_load(path, table="sales_fact")
    assert problems_of(failure) == [
        (
            "new_sales.csv",
            3,
            "store_sales",
            "abc",
            "not a number below 10,000,000,000 with at most 4 decimals",
        ),
        ("new_sales.csv", 4, "store_id", "two", "not a whole number"),
    ]
    assert sales_state() == before
    assert_recorded_as_failed(failure)


@pytest.mark.django_db
def test_a_date_that_does_not_exist_is_reported_and_nothing_loads(tmp_path):
    path = sales_file(
        tmp_path, [GOOD_SALES[0], with_cell(GOOD_SALES[1], "sale_date", "1997-02-30")]
    )
    before = sales_state()
    failure = fail_to_load(path, table="sales_fact")
    [(file, row, column, value, reason)] = problems_of(failure)
    assert (file, row, column, value) == ("new_sales.csv", 3, "sale_date", "1997-02-30")
    assert reason.startswith("not a date")
    assert sales_state() == before
    assert_recorded_as_failed(failure)


@pytest.mark.django_db
def test_a_negative_amount_breaks_the_models_rule_and_nothing_loads(tmp_path):
    path = sales_file(tmp_path, [GOOD_SALES[0], with_cell(GOOD_SALES[1], "store_sales", "-1.62")])
    before = sales_state()
    failure = fail_to_load(path, table="sales_fact")
    assert problems_of(failure) == [
        ("new_sales.csv", 3, "store_sales", "-1.62", "store sales cannot be negative.")
    ]
    assert sales_state() == before
    assert_recorded_as_failed(failure)


@pytest.mark.django_db
def test_a_decimal_comma_is_refused_not_read_as_a_hundred_times_the_amount(tmp_path):
    """'1,62' (a European decimal comma) is not 162; a thousands separator
    ('1,620.00') still reads as one."""
    rows = [
        with_cell(GOOD_SALES[0], "store_sales", "1,620.00"),
        with_cell(GOOD_SALES[1], "store_sales", "1,62"),
    ]
    path = sales_file(tmp_path, rows, name="euro.csv", delimiter=";")
    before = sales_state()
    failure = fail_to_load(path, table="sales_fact")
    [(file, row, column, value, reason)] = problems_of(failure)
    assert (file, row, column, value) == ("euro.csv", 3, "store_sales", "1,62")
    assert reason.startswith("not a number")
    assert sales_state() == before


@pytest.mark.django_db
def test_a_row_repeated_in_the_file_is_reported_and_nothing_loads(tmp_path):
    path = sales_file(tmp_path, [GOOD_SALES[0], GOOD_SALES[1], GOOD_SALES[0]])
    before = sales_state()
    failure = fail_to_load(path, table="sales_fact")
    [(file, row, _column, _value, reason)] = problems_of(failure)
    assert (file, row, reason) == ("new_sales.csv", 4, "repeats the values of row 2")
    assert sales_state() == before
    assert_recorded_as_failed(failure)


@pytest.mark.django_db
def test_a_blank_line_does_not_shift_the_row_numbers(tmp_path):
    path = tmp_path / "gap.csv"
    lines = [",".join(SALE_COLUMNS), ",".join(GOOD_SALES[0]), ""]
    lines.append(",".join(with_cell(GOOD_SALES[1], "store_id", "999")))
    path.write_text("\n".join(lines) + "\n")
    failure = fail_to_load(path, table="sales_fact")
    assert problems_of(failure) == [("gap.csv", 4, "store_id", "999", "unknown store")]


@pytest.mark.django_db
def test_blank_lines_above_the_header_are_skipped_and_rows_keep_their_numbers(tmp_path):
    path = tmp_path / "late_header.csv"
    lines = ["", "", ",".join(SALE_COLUMNS), ",".join(GOOD_SALES[0])]
    lines.append(",".join(with_cell(GOOD_SALES[1], "store_id", "999")))
    path.write_text("\n".join(lines) + "\n")
    failure = fail_to_load(path, table="sales_fact")
    assert problems_of(failure) == [("late_header.csv", 5, "store_id", "999", "unknown store")]


# --- Wrong shape ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_missing_required_column_is_reported_on_the_header_row(tmp_path):
    header = [c for c in SALE_COLUMNS if c != "store_id"]
    rows = [
        [v for c, v in zip(SALE_COLUMNS, r, strict=True) if c != "store_id"] for r in GOOD_SALES
    ]
    path = sales_file(tmp_path, rows, header=header)
    before = sales_state()
    failure = fail_to_load(path, table="sales_fact")
    assert problems_of(failure) == [
        ("new_sales.csv", 1, "store_id", "", "required column is missing")
    ]
    assert sales_state() == before
    assert_recorded_as_failed(failure)


@pytest.mark.django_db
def test_a_missing_date_column_names_both_columns_that_would_do(tmp_path):
    header = [c for c in SALE_COLUMNS if c != "sale_date"]
    rows = [
        [v for c, v in zip(SALE_COLUMNS, r, strict=True) if c != "sale_date"] for r in GOOD_SALES
    ]
    failure = fail_to_load(sales_file(tmp_path, rows, header=header), table="sales_fact")
    assert problems_of(failure) == [
        ("new_sales.csv", 1, "time_id or sale_date", "", "required column is missing")
    ]


@pytest.mark.django_db
def test_an_unknown_extra_column_is_ignored_with_a_warning_and_the_rows_load(tmp_path):
    header = [*SALE_COLUMNS, "cashier_note"]
    path = sales_file(tmp_path, [[*r, "checked"] for r in GOOD_SALES], header=header)
    before = sales_state()
    batch = run(path, table="sales_fact")
    assert batch.status == Batch.Status.DONE
    assert batch.warnings == "ignored unknown columns: cashier_note"
    assert Batch.objects.get(pk=batch.pk).warnings == batch.warnings
    assert batch.rows_inserted == 3
    assert sales_state()["n"] == before["n"] + 3
    assert loaded_rows(batch) == sorted(map(tuple, GOOD_SALES))


@pytest.mark.django_db
def test_friendly_header_names_load_the_same_as_the_canonical_ones(tmp_path):
    canonical = run(sales_file(tmp_path, GOOD_SALES, name="canonical.csv"), table="sales_fact")
    canonical_rows = loaded_rows(canonical)
    rollback(canonical)
    friendly = run(
        sales_file(tmp_path, GOOD_SALES, name="friendly.csv", header=FRIENDLY_COLUMNS),
        table="sales_fact",
    )
    assert friendly.warnings == ""
    assert loaded_rows(friendly) == canonical_rows == sorted(map(tuple, GOOD_SALES))


@pytest.mark.django_db
def test_a_problem_in_a_friendly_column_is_reported_under_the_files_header(tmp_path):
    rows = [GOOD_SALES[0], with_cell(GOOD_SALES[1], "store_id", "999")]
    path = sales_file(tmp_path, rows, header=FRIENDLY_COLUMNS)
    failure = fail_to_load(path, table="sales_fact")
    assert problems_of(failure) == [("new_sales.csv", 3, "Store", "999", "unknown store")]


@pytest.mark.django_db
def test_spaces_around_cells_are_not_part_of_the_value(tmp_path):
    lines = (settings.FOODMART_DATA_DIR / "store.csv").read_text().splitlines()
    assert lines[7].startswith("6,") and lines[7].endswith(",true,true,true,true,true")
    lines[7] = lines[7].replace(",Store 6,", ",Store Six ,")[: -len("true,true")] + "no ,false "
    path = tmp_path / "store.csv"
    path.write_text("\n".join(lines) + "\n")
    batch = run(path)
    assert (batch.status, batch.rows_updated) == (Batch.Status.DONE, 1)
    store = Store.objects.get(pk=6)
    assert (store.store_name, store.prepared_food, store.florist) == ("Store Six", False, False)


# --- Wrong file ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("content", [b"", b"\n\n  \n"], ids=["zero-bytes", "blank-lines"])
def test_an_empty_file_is_refused_as_empty(tmp_path, content):
    path = tmp_path / "new_sales.csv"
    path.write_bytes(content)
    before = sales_state()
    failure = fail_to_load(path, table="sales_fact")
    assert str(failure) == "new_sales.csv: the file is empty"
    assert failure.problems == []
    assert sales_state() == before
    assert_recorded_as_failed(failure)


@pytest.mark.django_db
def test_a_header_only_file_is_refused_as_having_no_rows(tmp_path):
    path = sales_file(tmp_path, [])
    before = sales_state()
    failure = fail_to_load(path, table="sales_fact")
    assert problems_of(failure) == [("new_sales.csv", 2, "", "", "the file has no data rows")]
    assert sales_state() == before
    assert_recorded_as_failed(failure)


@pytest.mark.django_db
def test_a_binary_file_is_refused_as_not_a_sheet(tmp_path):
    path = tmp_path / "new_sales.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16)
    before = sales_state()
    failure = fail_to_load(path, table="sales_fact")
    assert str(failure) == "new_sales.csv: a binary file, not a CSV or XLSX sheet"
    assert sales_state() == before
    assert_recorded_as_failed(failure)


@pytest.mark.django_db
def test_a_zip_renamed_csv_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "new_sales.csv"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("sales.csv", ",".join(SALE_COLUMNS) + "\n" + ",".join(GOOD_SALES[0]))
    before = sales_state()
    failure = fail_to_load(path, table="sales_fact")
    assert str(failure) == (
        "new_sales.csv: a ZIP archive, not a sheet: unpack it and load the files inside"
    )
    assert sales_state() == before
    assert_recorded_as_failed(failure)


@pytest.mark.django_db
def test_an_empty_file_through_the_command_says_so(tmp_path):
    path = tmp_path / "new_sales.csv"
    path.write_bytes(b"")
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 1 file"):
        call_command(
            "etl", "load", str(path), "--table", "sales_fact", stdout=io.StringIO(), stderr=err
        )
    assert "new_sales.csv: the file is empty" in err.getvalue()


@pytest.mark.django_db
def test_a_file_naming_no_table_is_refused_before_a_batch_is_made(tmp_path):
    path = sales_file(tmp_path, GOOD_SALES, name="mystery.csv")
    batches = Batch.objects.count()
    with pytest.raises(UnknownTable, match="No table named 'mystery'; known tables: account,"):
        run(path)
    assert Batch.objects.count() == batches


# --- Other encodings and separators ----------------------------------------------


def customer_file(path: Path, encoding: str, **changes) -> Path:
    """customer.csv holding customer 1 only, with ``changes``, in ``encoding``."""
    with open(settings.FOODMART_DATA_DIR / "customer.csv", newline="") as fh:
        reader = csv.DictReader(fh)
        row = next(r for r in reader if r["customer_id"] == "1")
    row.update(changes)
    return write_csv(path, list(row), [list(row.values())], encoding=encoding)


@pytest.mark.django_db
def test_a_latin1_customer_file_upserts_and_the_accents_round_trip(tmp_path):
    path = customer_file(
        tmp_path / "customer.csv",
        "latin-1",
        fname="José",
        lname="Müller",
        city="Querétaro",
        fullname="José Müller",
    )
    assert "é".encode("latin-1") in path.read_bytes()  # really not UTF-8
    customers = Customer.objects.count()
    batch = run(path, table="customer")
    assert (batch.status, batch.rows_updated) == (Batch.Status.DONE, 1)
    customer = Customer.objects.get(pk=1)
    assert (customer.fname, customer.lname, customer.city) == ("José", "Müller", "Querétaro")
    assert customer.fullname == "José Müller"
    assert Customer.objects.count() == customers


@pytest.mark.django_db
def test_a_latin1_file_whose_only_accent_is_its_last_character_loads(tmp_path):
    """A small file read whole: a non-UTF-8 byte at its very end is not a
    UTF-8 character cut by the sniffing window."""
    path = customer_file(tmp_path / "customer.csv", "latin-1", fullname="Sheri Nowmeré")
    assert path.read_bytes().endswith("é\n".encode("latin-1"))
    run(path, table="customer")
    assert Customer.objects.get(pk=1).fullname == "Sheri Nowmeré"


@pytest.mark.django_db
def test_a_windows_1252_file_keeps_its_curly_apostrophe(tmp_path):
    """Excel on Windows saves 'CSV' as cp1252, whose ’ is not in Latin-1."""
    path = customer_file(tmp_path / "customer.csv", "cp1252", lname="O’Nowmer")
    run(path, table="customer")
    assert Customer.objects.get(pk=1).lname == "O’Nowmer"


@pytest.mark.django_db
def test_a_utf16_tab_separated_file_from_excel_loads(tmp_path):
    """Excel's "Unicode Text" export: UTF-16 with a byte-order mark, tabs."""
    path = customer_file(tmp_path / "customer.txt", "utf-16", fname="Zoë", lname="Łukasiewicz")
    path.write_text(path.read_text("utf-16").replace(",", "\t"), encoding="utf-16")
    assert path.read_bytes().startswith(b"\xff\xfe")
    run(path, table="customer")
    customer = Customer.objects.get(pk=1)
    assert (customer.fname, customer.lname, customer.yearly_income) == (
        "Zoë",
        "Łukasiewicz",
        "$30K - $50K",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("delimiter", [";", "\t"], ids=["semicolon", "tab"])
def test_a_semicolon_or_tab_separated_file_loads_like_a_comma_one(tmp_path, delimiter):
    path = sales_file(tmp_path, GOOD_SALES, delimiter=delimiter)
    before = sales_state()
    batch = run(path, table="sales_fact")
    assert (batch.rows_inserted, batch.warnings) == (3, "")
    assert loaded_rows(batch) == sorted(map(tuple, GOOD_SALES))
    assert sales_state()["store_sales"] == before["store_sales"] + Decimal("5.52")


# --- Excel -------------------------------------------------------------------------


def write_xlsx(path: Path, header, rows) -> Path:
    """``rows`` of cell writers: a value, or a callable (sheet, row, col)."""
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, cell in enumerate(row):
            if callable(cell):
                cell(sheet, r, c)
            else:
                sheet.write(r, c, cell)
    workbook.close()
    return path


@pytest.mark.django_db
def test_xlsx_formula_cells_load_their_cached_values(tmp_path):
    def formula(text, value):
        return lambda sheet, r, c: sheet.write_formula(r, c, text.format(n=r + 1), None, value)

    rows = [
        [337, "1998-01-05", 6280, 0, 2, formula("=H{n}*0.75", 1.5), 0.51, 2],
        [
            1512,
            "1998-01-05",
            6280,
            0,
            2,
            formula("=H{n}*0.54", 1.62),
            formula("=F{n}*0.39", 0.6318),
            3,
        ],
    ]
    path = write_xlsx(tmp_path / "new_sales.xlsx", SALE_COLUMNS, rows)
    batch = run(path, table="sales_fact")
    assert batch.rows_inserted == 2
    assert loaded_rows(batch) == sorted(map(tuple, GOOD_SALES[:2]))


@pytest.mark.django_db
def test_xlsx_dates_as_serial_numbers_and_as_date_cells_load_as_the_right_day(tmp_path):
    workbook_path = tmp_path / "new_sales.xlsx"
    workbook = xlsxwriter.Workbook(workbook_path)
    sheet = workbook.add_worksheet()
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, SALE_COLUMNS)
    sheet.write_row(1, 0, [337, 35431, 6280, 0, 2, 7.7777, 0.5100, 2])  # 1997-01-01
    sheet.write_row(2, 0, [337, 35796, 6280, 0, 2, 7.7777, 0.5100, 2])  # 1998-01-01
    sheet.write_row(3, 0, [963, None, 4018, 0, 2, 2.4, 0.72, 1])
    sheet.write_datetime(3, 1, pd.Timestamp("1998-02-28").to_pydatetime(), date_format)
    workbook.close()
    batch = run(workbook_path, table="sales_fact")
    assert batch.rows_inserted == 3
    dates = sorted(
        d.isoformat()
        for d in SaleLine.objects.filter(batch=batch).values_list("sale_date", flat=True)
    )
    assert dates == ["1997-01-01", "1998-01-01", "1998-02-28"]


@pytest.mark.django_db
def test_an_xlsx_problem_is_reported_with_the_sheets_row_number(tmp_path):
    rows = [
        [337, "1998-01-05", 6280, 0, 2, 1.5, 0.51, 2],
        [],  # an empty row 3: skipped, and row 4 is still row 4
        [1512, "1998-01-05", 6280, 0, 999, 1.62, 0.6318, 3],
    ]
    path = write_xlsx(tmp_path / "new_sales.xlsx", SALE_COLUMNS, rows)
    failure = fail_to_load(path, table="sales_fact")
    assert problems_of(failure) == [("new_sales.xlsx", 4, "store_id", "999", "unknown store")]


@pytest.mark.django_db
def test_an_xlsx_named_csv_is_read_as_the_workbook_it_is(tmp_path):
    path = write_xlsx(
        tmp_path / "new_sales.csv", SALE_COLUMNS, [[337, "1998-01-05", 6280, 0, 2, 1.5, 0.51, 2]]
    )
    batch = run(path, table="sales_fact")
    assert loaded_rows(batch) == [tuple(GOOD_SALES[0])]


# --- The same file twice -------------------------------------------------------------


@pytest.mark.django_db
def test_the_same_file_twice_is_refused_the_second_time_and_loads_again_with_force(tmp_path):
    path = sales_file(tmp_path, GOOD_SALES)
    before = sales_state()
    first = run(path, table="sales_fact")
    after_first = sales_state()
    assert after_first["n"] == before["n"] + 3
    batches = Batch.objects.count()

    with pytest.raises(AlreadyLoaded) as caught:
        run(path, table="sales_fact")
    assert caught.value.batch == first
    assert f"new_sales.csv was already loaded into sales_fact (batch {first.pk}" in str(
        caught.value
    )
    assert "use force" in str(caught.value)
    assert sales_state() == after_first
    assert Batch.objects.count() == batches  # refused before a batch was made

    again = run(path, table="sales_fact", force=True)
    assert (again.status, again.forced, again.rows_inserted) == (Batch.Status.DONE, True, 3)
    assert sales_state()["n"] == before["n"] + 6
    assert loaded_rows(again) == loaded_rows(first)


@pytest.mark.django_db
def test_the_same_rows_in_another_file_are_reported_as_already_loaded(tmp_path):
    first = run(sales_file(tmp_path, GOOD_SALES, name="monday.csv"), table="sales_fact")
    after_first = sales_state()
    failure = fail_to_load(
        sales_file(
            tmp_path,
            [*GOOD_SALES, ["181", "1998-01-06", "4018", "0", "2", "2.79", "1", "3"]],
            name="monday_again.csv",
        ),
        table="sales_fact",
    )
    assert [(p.row, p.reason) for p in failure.problems] == [
        (r, f"already loaded (batch {first.pk})") for r in (2, 3, 4)
    ]
    assert sales_state() == after_first


# --- keep_valid and dry_run --------------------------------------------------------------


@pytest.mark.django_db
def test_keep_valid_loads_the_valid_rows_and_writes_the_rejected_ones_next_to_the_file(tmp_path):
    path = sales_file(
        tmp_path,
        [
            GOOD_SALES[0],
            with_cell(GOOD_SALES[1], "store_id", "999"),
            GOOD_SALES[2],
            with_cell(GOOD_SALES[1], "unit_sales", "-3"),
        ],
    )
    before = sales_state()
    batch = run(path, table="sales_fact", keep_valid=True)
    assert (batch.status, batch.rows_read, batch.rows_inserted, batch.rows_rejected) == (
        Batch.Status.DONE,
        4,
        2,
        2,
    )
    assert loaded_rows(batch) == sorted([tuple(GOOD_SALES[0]), tuple(GOOD_SALES[2])])
    assert sales_state()["n"] == before["n"] + 2
    assert sales_state()["store_sales"] == before["store_sales"] + Decimal("3.9")
    report = pd.read_csv(tmp_path / "new_sales.csv.errors.csv", dtype=str)
    assert report.to_dict("records") == [
        {
            "file": "new_sales.csv",
            "row": "3",
            "column": "store_id",
            "value": "999",
            "reason": "unknown store",
        },
        {
            "file": "new_sales.csv",
            "row": "5",
            "column": "unit_sales",
            "value": "-3",
            "reason": "unit sales cannot be negative.",
        },
    ]
    with open(tmp_path / "new_sales.csv.errors.csv", newline="") as written:
        assert Batch.objects.get(pk=batch.pk).error_report == written.read()


@pytest.mark.django_db
def test_keep_valid_through_the_command_reports_the_rejected_rows(tmp_path):
    path = sales_file(tmp_path, [GOOD_SALES[0], with_cell(GOOD_SALES[1], "store_id", "999")])
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "etl",
            "load",
            str(path),
            "--table",
            "sales_fact",
            "--keep-valid",
            stdout=out,
            stderr=io.StringIO(),
        )
    assert "inserted 1" in out.getvalue() and "rejected 1" in out.getvalue()
    assert f"1 row(s) rejected: {path}.errors.csv" in out.getvalue()
    assert (tmp_path / "new_sales.csv.errors.csv").exists()


@pytest.mark.django_db
def test_dry_run_validates_and_writes_nothing(tmp_path):
    path = sales_file(tmp_path, GOOD_SALES)
    before, batches = sales_state(), Batch.objects.count()
    batch = run(path, table="sales_fact", dry_run=True)
    assert batch.pk is None
    assert (batch.rows_read, batch.rows_rejected) == (3, 0)
    assert sales_state() == before
    assert Batch.objects.count() == batches
    # Not recorded as loaded either: the real load is still welcome.
    assert run(path, table="sales_fact").rows_inserted == 3


@pytest.mark.django_db
def test_dry_run_of_a_bad_file_reports_the_problems_and_records_nothing(tmp_path):
    path = sales_file(tmp_path, [GOOD_SALES[0], with_cell(GOOD_SALES[1], "store_id", "999")])
    before, batches = sales_state(), Batch.objects.count()
    failure = fail_to_load(path, table="sales_fact", dry_run=True)
    assert problems_of(failure) == [("new_sales.csv", 3, "store_id", "999", "unknown store")]
    assert failure.batch is None
    assert sales_state() == before
    assert Batch.objects.count() == batches


# --- Replace and rollback --------------------------------------------------------------------

WEEK = {"from": "1997-03-01", "to": "1997-03-07"}


@pytest.mark.django_db
def test_replacing_a_week_and_rolling_back_restores_exactly_the_previous_rows(tmp_path):
    week_before = sale_rows(WEEK["from"], WEEK["to"])
    state_before = sales_state()
    assert len(week_before) > 1000
    new_week = [
        ["337", "1997-03-01", "6280", "0", "2", "10.0000", "4.0000", "5.0000"],
        ["963", "1997-03-07", "4018", "0", "2", "20.0000", "8.0000", "2.0000"],
    ]
    path = sales_file(tmp_path, new_week, name="week_1997_03_01.csv")
    batch = run(path, table="sales_fact", mode="replace", scope=WEEK)
    assert (batch.rows_deleted, batch.rows_inserted) == (len(week_before), 2)
    assert loaded_rows(batch) == sorted(map(tuple, new_week))
    assert len(sale_rows(WEEK["from"], WEEK["to"])) == 2
    week_sales = sum(r[6] for r in week_before)  # store_sales
    assert sales_state()["store_sales"] == state_before["store_sales"] - week_sales + 30

    rollback(batch)
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.ROLLED_BACK
    assert sale_rows(WEEK["from"], WEEK["to"]) == week_before
    assert sales_state() == state_before


@pytest.mark.django_db
def test_a_replace_refuses_rows_outside_its_date_range(tmp_path):
    rows = [["337", "1997-03-01", "6280", "0", "2", "10", "4", "5"], GOOD_SALES[0]]
    before = sales_state()
    failure = fail_to_load(
        sales_file(tmp_path, rows), table="sales_fact", mode="replace", scope=WEEK
    )
    assert problems_of(failure) == [
        (
            "new_sales.csv",
            3,
            "sale_date",
            "1998-01-05",
            "outside the replaced range 1997-03-01 to 1997-03-07",
        )
    ]
    assert sales_state() == before
    assert_recorded_as_failed(failure)


@pytest.mark.django_db
def test_replacing_a_week_with_a_corrected_copy_of_itself_loads(tmp_path):
    """The usual correction: the week's rows again, one amount changed."""
    lines = SaleLine.objects.filter(sale_date__range=(WEEK["from"], WEEK["to"])).order_by("id")
    rows = [
        [
            str(x.product_id),
            x.sale_date.isoformat(),
            str(x.customer_id),
            str(x.promotion_id),
            str(x.store_id),
            str(x.store_sales),
            str(x.store_cost),
            str(x.unit_sales),
        ]
        for x in lines
    ]
    rows[0][5] = "999.0000"
    before = sales_state()
    batch = run(sales_file(tmp_path, rows), table="sales_fact", mode="replace", scope=WEEK)
    assert batch.rows_inserted == batch.rows_deleted == len(rows)
    assert sales_state()["n"] == before["n"]


@pytest.mark.django_db
def test_an_upserted_store_name_is_restored_by_rolling_back(tmp_path):
    stores_before = list(Store.objects.order_by("pk").values())
    path = tmp_path / "store.csv"
    source = (settings.FOODMART_DATA_DIR / "store.csv").read_text()
    path.write_text(source.replace(",Store 6,6,", ",Store Six,6,"))
    batch = run(path)
    assert (batch.mode, batch.rows_updated, batch.rows_unchanged) == ("upsert", 1, 24)
    assert Store.objects.get(pk=6).store_name == "Store Six"
    rollback(batch)
    assert Store.objects.get(pk=6).store_name == "Store 6"
    assert list(Store.objects.order_by("pk").values()) == stores_before


# --- A load killed halfway ---------------------------------------------------------------------

KILLED_APP = "etl-killed-load-test"
# Rows going into the sale lines: through the table, or (a new month of a
# partitioned table) into the month's own table, then attached.
WRITING_SALE_LINES = re.compile(r'INSERT INTO "sales_saleline|ALTER TABLE "sales_saleline" ATTACH')


def write_big_sales_file(path: Path, rows: int) -> None:
    """``rows`` distinct valid sale lines, every day of 1998."""
    rng = np.random.default_rng(1998)
    products = list(Product.objects.values_list("pk", flat=True))
    customers = list(Customer.objects.values_list("pk", flat=True))
    stores = list(Store.objects.exclude(pk=0).values_list("pk", flat=True))
    days = pd.date_range("1998-01-01", "1998-12-31").strftime("%Y-%m-%d")
    n = np.arange(rows)
    pd.DataFrame(
        {
            "product_id": rng.choice(products, rows),
            "sale_date": days[n % len(days)],
            "customer_id": rng.choice(customers, rows),
            "promotion_id": 0,
            "store_id": rng.choice(stores, rows),
            "store_sales": [f"{1 + i / 10_000:.4f}" for i in n],  # unique: no repeated row
            "store_cost": "0.5000",
            "unit_sales": "1.0000",
        }
    ).to_csv(path, index=False)


def backend_of(app: str):
    """(pid, state, query) of the subprocess's database session, or None."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, query FROM pg_stat_activity WHERE application_name = %s",
            [app],
        )
        return cursor.fetchone()


@pytest.mark.slow
def test_a_load_killed_halfway_leaves_the_sale_lines_as_they_were(
    django_db_setup, django_db_blocker, tmp_path
):
    path = tmp_path / "sales_fact_1998.csv"
    with django_db_blocker.unblock():
        write_big_sales_file(path, 300_000)
        before = sales_state()
        batches_before = set(Batch.objects.values_list("pk", flat=True))
        env = {
            **os.environ,
            "DATABASE_URL": url_of_test_database(),
            "DJANGO_SETTINGS_MODULE": "foodmart_site.settings_test",
            "PGAPPNAME": KILLED_APP,  # libpq names the subprocess's session
        }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "etl", "load", str(path), "--table", "sales_fact"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        with django_db_blocker.unblock():
            # Kill it while it writes the sale lines: rows are written, only
            # the commit is missing.
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                backend = backend_of(KILLED_APP)
                if backend and backend[1] != "idle" and WRITING_SALE_LINES.match(backend[2]):
                    break
                assert process.poll() is None, f"the load ended first:\n{process.stdout.read()}"
                time.sleep(0.005)
            else:
                pytest.fail("the load never started writing the sale lines")
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            assert process.returncode == -signal.SIGKILL
            # The server notices its client is gone, aborts the transaction
            # and ends the session.
            deadline = time.monotonic() + 120
            while backend_of(KILLED_APP) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert backend_of(KILLED_APP) is None

            assert sales_state() == before
            assert not SaleLine.objects.filter(sale_date__year=1998).exists()
            # The batch record was committed before the load began; the
            # next look at the batches sees that its load is gone.
            [leftover] = Batch.objects.exclude(pk__in=batches_before)
            assert leftover.status == Batch.Status.RUNNING
            assert fail_abandoned_batches() == 1
            leftover.refresh_from_db()
            assert (leftover.source_name, leftover.status) == (
                "sales_fact_1998.csv",
                Batch.Status.FAILED,
            )
            assert "interrupted" in leftover.error_report
            assert not leftover.images.exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        with django_db_blocker.unblock():
            # This test ran outside a test transaction: leave nothing behind.
            for batch in Batch.objects.exclude(pk__in=batches_before):
                if batch.status == Batch.Status.DONE:  # the kill came too late
                    rollback(batch)
                batch.delete()
