"""Sheet rows -> model-typed columns, with every problem reported.

Plain functions over DataFrames: no database, so tests can feed them tiny
frames. Types come from the model fields named in the table spec.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import models

from etl.specs import TableSpec

TRUE_WORDS = {"true", "t", "y", "yes", "1"}
FALSE_WORDS = {"false", "f", "n", "no", "0"}
# A spreadsheet user counts the header as row 1.
FIRST_DATA_ROW = 2


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


def read_csv(path) -> pd.DataFrame:
    """Every cell as text; an empty cell is missing."""
    return pd.read_csv(
        path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig"
    )


def to_model_frame(
    raw: pd.DataFrame, spec: TableSpec, *, file: str, calendar: dict[str, str]
) -> pd.DataFrame:
    """Columns renamed to database columns and values in the form COPY
    reads; raises ValidationFailed listing every bad cell."""
    problems: list[Problem] = []
    missing = [c for c in spec.columns if c not in raw.columns]
    if missing:
        raise ValidationFailed(
            [Problem(file, 1, c, "", "required column is missing") for c in missing]
        )
    out = {}
    for column in spec.columns:
        values = raw[column].str.strip()
        for code in spec.null_codes.get(column, ()):
            values = values.mask(values == code)
        field = spec.model_field(column)
        converted, bad = _convert(values, field, column in spec.calendar_columns, calendar)
        problems += _problems(file, column, values, bad, _reason(field, column, spec))
        required = converted.isna() & ~bad & ~field.null
        problems += _problems(file, column, values, required, "a value is required")
        out[field.column] = converted
    if problems:
        problems.sort(key=lambda p: (p.row, p.column))
        raise ValidationFailed(problems)
    frame = pd.DataFrame(out)
    if spec.distinct:
        key_columns = [spec.model._meta.get_field(k).column for k in spec.key]
        frame = frame.drop_duplicates(subset=key_columns, keep="first")
    return frame


def _convert(values: pd.Series, field, is_calendar: bool, calendar: dict[str, str]):
    """(converted values, mask of cells that did not convert)."""
    present = values.notna()
    if is_calendar:
        converted = values.map(calendar)
    elif isinstance(field, models.DateField):
        parsed = pd.to_datetime(values.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        converted = parsed.dt.strftime("%Y-%m-%d").astype(object).where(parsed.notna(), None)
    elif isinstance(field, models.BooleanField):
        lowered = values.str.lower()
        converted = lowered.map(
            lambda v: True if v in TRUE_WORDS else False if v in FALSE_WORDS else None
        )
    elif _is_integer(field):
        numbers = pd.to_numeric(values, errors="coerce")
        whole = numbers.notna() & (np.floor(numbers) == numbers)
        converted = numbers.where(whole).astype("Int64")
    elif isinstance(field, models.DecimalField):
        numbers = pd.to_numeric(values, errors="coerce")
        # Keep the text: COPY reads it exactly, a float would not.
        converted = values.where(numbers.notna())
    else:
        too_long = values.str.len() > (field.max_length or np.inf)
        converted = values.where(~too_long)
    return converted, present & pd.Series(converted, index=values.index).isna()


def _is_integer(field) -> bool:
    target = field.target_field if field.is_relation else field
    return isinstance(target, models.IntegerField)


def _reason(field, column: str, spec: TableSpec) -> str:
    if column in spec.calendar_columns:
        return "unknown time_id: not in the calendar"
    if isinstance(field, models.DateField):
        return "not a date (expected YYYY-MM-DD)"
    if isinstance(field, models.BooleanField):
        return "not a yes/no value (true/false, Y/N)"
    if _is_integer(field):
        return "not a whole number"
    if isinstance(field, models.DecimalField):
        return "not a number"
    return f"longer than {field.max_length} characters"


def _problems(file, column, values, mask, reason) -> list[Problem]:
    return [
        Problem(file, int(i) + FIRST_DATA_ROW, column, "" if pd.isna(v) else str(v), reason)
        for i, v in values[mask].items()
    ]
