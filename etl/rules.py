"""The model's CHECK constraints, evaluated on a DataFrame.

Each rule is written once, as a constraint on the model (and so in
PostgreSQL); this module reads the simple ones (comparisons with a
constant or another column, ``__in``, ``__range``, ``__isnull``, and
their AND/OR/NOT) so that the pipeline can name the row and column that
breaks them before the database would refuse the whole file. A rule it
cannot read is left to the database.
"""

import operator

import numpy as np
import pandas as pd
from django.db import models

COMPARE = {
    "gte": operator.ge,
    "gt": operator.gt,
    "lte": operator.le,
    "lt": operator.lt,
    "exact": operator.eq,
}


class Unsupported(Exception):
    pass


def check_constraints(model) -> list[models.CheckConstraint]:
    return [c for c in model._meta.constraints if isinstance(c, models.CheckConstraint)]


def violations(frame: pd.DataFrame, model, typed: dict[str, pd.Series]) -> list[tuple]:
    """(constraint, mask of breaking rows, columns involved) per readable
    rule; ``typed`` holds each field's values as numbers or dates."""
    found = []
    for constraint in check_constraints(model):
        try:
            passes, columns = _evaluate(constraint.condition, model, typed, frame.index)
        except (Unsupported, KeyError):
            continue
        # SQL CHECK passes on NULL (unknown); so does this.
        found.append((constraint, ~passes.fillna(True).astype(bool), columns))
    return found


def _evaluate(q: models.Q, model, typed, index) -> tuple[pd.Series, list[str]]:
    results, columns = [], []
    for child in q.children:
        if isinstance(child, models.Q):
            result, cols = _evaluate(child, model, typed, index)
        else:
            result, cols = _lookup(*child, model=model, typed=typed, index=index)
        results.append(result)
        columns += cols
    combined = results[0]
    for result in results[1:]:
        is_and = q.connector == models.Q.AND
        combined = (combined & result) if is_and else (combined | result)
    if q.negated:
        combined = ~combined
    return combined, columns


def _lookup(key: str, value, *, model, typed, index) -> tuple[pd.Series, list[str]]:
    name, _, lookup = key.partition("__")
    lookup = lookup or "exact"
    field = model._meta.get_field(name)
    left = typed[field.name]
    if isinstance(value, models.F):
        right = typed[model._meta.get_field(value.name).name]
        columns = [field.name, value.name]
    elif isinstance(value, models.Expression):
        raise Unsupported(key)
    else:
        right, columns = value, [field.name]
    if lookup == "isnull":
        return left.isna() == bool(value), columns
    if lookup == "in":
        return _nullable(left.isin(list(value)), left), columns
    if lookup == "range":
        low, high = value
        return _nullable((left >= low) & (left <= high), left), columns
    if lookup not in COMPARE:
        raise Unsupported(key)
    nulls = left.isna() | (right.isna() if isinstance(right, pd.Series) else False)
    result = COMPARE[lookup](left, right)
    return _kleene(result, nulls), columns


def _nullable(result: pd.Series, left: pd.Series) -> pd.Series:
    return _kleene(result, left.isna())


def _kleene(result: pd.Series, nulls: pd.Series) -> pd.Series:
    """SQL's three-valued logic: NULL where an operand is NULL."""
    out = pd.Series(np.asarray(result, dtype=bool), index=result.index, dtype="boolean")
    out[np.asarray(nulls, dtype=bool)] = pd.NA
    return out
