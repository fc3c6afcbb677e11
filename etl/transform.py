"""Sheet rows -> model-typed columns, with every problem reported.

Plain functions over DataFrames: no database, so tests can feed them tiny
frames. Types come from the model fields named in the table spec, and the
range rules from the model's CHECK constraints (see ``rules``), so each
rule is written once. All work is vectorised: no Python loop runs per row.
"""

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db import models

from etl import rules
from etl.specs import TableSpec

TRUE_WORDS = {"true", "t", "y", "yes", "1"}
FALSE_WORDS = {"false", "f", "n", "no", "0"}
# A spreadsheet user counts the header as row 1.
FIRST_DATA_ROW = 2
# Excel's day 0; serials above 2,958,465 are past 9999-12-31.
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EXCEL_MAX_SERIAL = 2_958_465


@dataclass(frozen=True)
class Problem:
    file: str
    row: int
    column: str
    value: str
    reason: str

    def __str__(self):
        return f"{self.file}, row {self.row}, column {self.column} = {self.value!r}: {self.reason}"


class ValidationFailed(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s), nothing loaded:\n{shown}{more}")


@dataclass
class ColumnMap:
    """Which header of the file feeds which field."""

    by_field: dict[str, str]  # model field name -> header in the file
    file_column: dict[str, str]  # header in the file -> spec column name
    unknown: list[str] = field(default_factory=list)


def normalise(header: str) -> str:
    """'Unit Sales', 'unit-sales' and 'UNIT_SALES' are the same column."""
    return re.sub(r"[\s\-]+", "_", str(header).strip()).casefold()


def resolve_columns(headers: list[str], spec: TableSpec, *, file: str) -> ColumnMap:
    """Match the file's headers to the spec's columns (canonical FoodMart
    names or the spec's friendly aliases); fail on a missing required
    column, list unknown ones (they are ignored)."""
    canonical = {normalise(c): c for c in spec.columns}
    canonical.update({normalise(a): c for a, c in spec.aliases.items()})
    file_column, unknown = {}, []
    for header in headers:
        column = canonical.get(normalise(header))
        if column is None or column in file_column.values():
            unknown.append(header)
        else:
            file_column[header] = column
    by_field: dict[str, str] = {}
    for header, column in file_column.items():
        by_field.setdefault(spec.columns[column], header)
    missing = [
        _columns_for(spec, f.name)
        for f in spec.fields()
        if f.name not in by_field and _required(f)
    ]
    if missing:
        raise ValidationFailed(
            [Problem(file, 1, c, "", "required column is missing") for c in missing]
        )
    return ColumnMap(by_field, file_column, unknown)


def _columns_for(spec: TableSpec, field_name: str) -> str:
    return " or ".join(c for c, f in spec.columns.items() if f == field_name)


def _required(f: models.Field) -> bool:
    return not f.null and not f.has_default() and not isinstance(f, models.BooleanField)


def to_model_frame(
    chunk: pd.DataFrame,
    spec: TableSpec,
    *,
    file: str,
    calendar: dict[str, str],
    columns: ColumnMap,
) -> tuple[pd.DataFrame, list[Problem]]:
    """The chunk's valid rows as database columns in the text form COPY
    reads, and a Problem for every bad cell (whose rows are left out)."""
    problems: list[Problem] = []
    out, typed = {}, {}
    for f in spec.fields():
        header = columns.by_field.get(f.name)
        if header is None:
            continue
        column = columns.file_column[header]
        # Numbers parse (and COPY reads them) with spaces around; stripping
        # a million cells in Python would cost more than the parse itself.
        numeric = _is_integer(f) or isinstance(f, models.DecimalField)
        values = as_text(chunk[header], strip=not numeric or column in spec.calendar_columns)
        for code in spec.null_codes.get(column, ()):
            values = values.mask(values == code)
        converted, number, bad = _convert(values, f, column in spec.calendar_columns, calendar)
        problems += _problems(file, header, values, bad, _reason(f, column, spec))
        required = converted.isna() & ~bad & _required(f)
        problems += _problems(file, header, values, required, "a value is required")
        out[f.column], typed[f.name] = converted, number
    frame = pd.DataFrame(out, index=chunk.index)
    for constraint, broken, names in rules.violations(frame, spec.model, typed):
        if not broken.any():
            continue
        header = columns.by_field.get(names[0], names[0])
        values = chunk[header] if header in chunk else pd.Series("", index=chunk.index)
        reason = str(constraint.violation_error_message or constraint.name)
        reason = reason.replace('"%(name)s"', constraint.name)
        problems += _problems(file, header, as_text(values[broken]), broken[broken], reason)
    bad_rows = {p.row - FIRST_DATA_ROW for p in problems}
    return frame.drop(index=list(bad_rows)), problems


def as_text(values: pd.Series, strip: bool = True) -> pd.Series:
    """CSV cells are text already; XLSX cells may be numbers, booleans or
    dates, turned into the text a CSV export of the sheet would hold.
    Spaces around a value are not part of it."""
    is_text = isinstance(values.dtype, pd.StringDtype)  # pandas 3 reads CSV as str
    if is_text or (values.dtype == object and values.map(type).eq(str).all()):
        if not strip:
            return values
        stripped = values.str.strip()
        return stripped.mask(stripped == "")
    if values.dtype != object:
        return values.astype(str)

    def text(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        if hasattr(v, "isoformat"):
            return v.isoformat()
        return str(v).strip()

    return values.map(text).astype(object)


def _convert(values: pd.Series, f, is_calendar: bool, calendar: dict[str, str]):
    """(COPY text, typed values for the rules, mask of cells that did not
    convert). The common, clean case takes the fast path; only cells that
    fail it get the slower, more forgiving parsers."""
    present = values.notna()
    if is_calendar:
        converted = values.map(calendar)
        typed = pd.to_datetime(converted, format="%Y-%m-%d")
    elif isinstance(f, models.DateField):
        typed = parse_dates(values)
        converted = typed.dt.strftime("%Y-%m-%d").astype(object).where(typed.notna(), None)
    elif isinstance(f, models.BooleanField):
        lowered = values.str.lower()
        typed = converted = lowered.map(
            lambda v: True if v in TRUE_WORDS else False if v in FALSE_WORDS else None
        )
    elif _is_integer(f):
        numbers = _numbers(values)
        whole = (np.floor(numbers) == numbers) & (numbers.abs() < 2**63)
        typed = numbers.where(whole)
        # Text such as "42" goes to COPY as it is; "42.0" is rewritten.
        if (whole | numbers.isna()).all() and not (numbers % 1).any():
            converted = values.where(typed.notna())
        else:
            converted = typed.astype("Int64").astype(object).where(typed.notna())
    elif isinstance(f, models.DecimalField):
        typed, text = _money(values)
        fits = typed.abs() < 10 ** (f.max_digits - f.decimal_places)
        # More decimals than the column keeps would be rounded silently.
        exact = (typed.round(f.decimal_places) - typed).abs() < 10 ** -(f.decimal_places + 3)
        typed = typed.where(fits & exact)
        # Keep the text: COPY reads it exactly, a float would not.
        converted = text.where(typed.notna())
    else:
        too_long = values.str.len() > (f.max_length or np.inf)
        typed = converted = values.where(~too_long)
    return converted, typed, present & pd.Series(converted, index=values.index).isna()


def _numbers(values: pd.Series) -> pd.Series:
    """Numbers from text, NaN where a cell is not one. A clean column (the
    usual case) converts in one cast, ~3x faster than to_numeric."""
    try:
        return values.astype("float64")
    except (ValueError, TypeError):
        return pd.to_numeric(values, errors="coerce")


def _money(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(numbers, text for COPY); money as people type it, "$1,234.50",
    reads as 1234.50. Only cells that are not plain numbers are cleaned."""
    numbers = _numbers(values)
    retry = numbers.isna() & values.notna()
    if not retry.any():
        return numbers, values
    cleaned = _without_thousands_commas(values[retry].str.replace(r"[$\s]", "", regex=True))
    numbers[retry] = pd.to_numeric(cleaned, errors="coerce")
    text = values.copy()
    text[retry] = cleaned
    return numbers, text


def _without_thousands_commas(values: pd.Series) -> pd.Series:
    """'1,620.50' -> '1620.50'. Other commas stay, so that the value is not
    a number: '1,62' (a decimal comma) must not become 162."""
    grouped = values.str.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?")
    grouped = grouped.fillna(False).astype(bool)
    return values.mask(grouped, values.str.replace(",", "", regex=False))


def parse_dates(values: pd.Series) -> pd.Series:
    """ISO dates, FoodMart's Java timestamps ('1997-01-01 00:00:00.0'), US
    dates (01/31/1997) and Excel serial numbers; NaT for anything else,
    including dates that do not exist (1997-02-30)."""
    dates = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    retry = dates.isna() & values.notna()
    if retry.any():
        rest = values[retry]
        stamped = rest.str.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")
        iso = pd.to_datetime(
            rest.str.slice(0, 10).where(stamped), format="%Y-%m-%d", errors="coerce"
        )
        us = pd.to_datetime(rest, format="%m/%d/%Y", errors="coerce")
        serial = pd.to_numeric(rest, errors="coerce")
        serial = serial.where((serial >= 1) & (serial <= EXCEL_MAX_SERIAL) & (serial % 1 == 0))
        excel = EXCEL_EPOCH + pd.to_timedelta(serial, unit="D")
        dates[retry] = iso.fillna(us).fillna(excel)
    return dates


def _is_integer(f) -> bool:
    target = f.target_field if f.is_relation else f
    return isinstance(target, models.IntegerField)


def _reason(f, column: str, spec: TableSpec) -> str:
    if column in spec.calendar_columns:
        return "unknown time_id: not in the calendar"
    if isinstance(f, models.DateField):
        return "not a date (expected YYYY-MM-DD, MM/DD/YYYY or an Excel date)"
    if isinstance(f, models.BooleanField):
        return "not a yes/no value (true/false, Y/N)"
    if _is_integer(f):
        return "not a whole number"
    if isinstance(f, models.DecimalField):
        limit = 10 ** (f.max_digits - f.decimal_places)
        return f"not a number below {limit:,} with at most {f.decimal_places} decimals"
    return f"longer than {f.max_length} characters"


def _problems(file, column, values, mask, reason) -> list[Problem]:
    mask = pd.Series(mask, index=values.index).fillna(False).astype(bool)
    return [
        Problem(file, int(i) + FIRST_DATA_ROW, column, "" if pd.isna(v) else str(v), reason)
        for i, v in values[mask].items()
    ]


class RepeatFinder:
    """Notices, chunk by chunk, whether any row repeats an earlier one on
    some columns (64-bit hashes: 8 bytes a row, so 80 MB at 10M rows). The
    exact check, with row numbers, then runs in SQL only when it may find
    something: a million-row file without repeats skips a 1 s GROUP BY."""

    def __init__(self):
        self._hashes: list[np.ndarray] = []

    def add(self, frame: pd.DataFrame) -> None:
        if not frame.empty:
            self._hashes.append(pd.util.hash_pandas_object(frame, index=False).to_numpy())

    def found_any(self) -> bool:
        if not self._hashes:
            return False
        hashes = np.sort(np.concatenate(self._hashes))
        return bool((hashes[1:] == hashes[:-1]).any())
