"""Table specs: how a sheet's columns meet a model's fields.

Business apps declare their specs in ``<app>/imports.py`` and call
``register``; the pipeline knows the apps only through this registry.
Value types are read off the model's fields, so a spec only says what a
field cannot: which file column feeds it, and the file's special codes.
"""

from dataclasses import dataclass, field
from typing import Literal

from django.apps import apps
from django.db import models


@dataclass(frozen=True)
class TableSpec:
    name: str
    model_label: str
    # File column -> model field name (ForeignKeys by field name: "store").
    columns: dict[str, str]
    files: tuple[str, ...]
    mode: Literal["upsert", "append"] = "upsert"
    key: tuple[str, ...] = ("id",)
    # File columns holding a FoodMart time_id, resolved through the calendar.
    calendar_columns: frozenset[str] = frozenset()
    # Per file column, values that mean "none" (supervisor_id 0).
    null_codes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The same key may repeat in the file (a dimension taken from a fact
    # file, such as currencies from the rate list): keep its first row.
    distinct: bool = False
    # Friendly headers a person would type -> the spec's column names.
    # Case, spaces and dashes do not matter ("Unit Sales" = unit_sales).
    aliases: dict[str, str] = field(default_factory=dict)
    # The date field that scopes a replace by date range (fact tables).
    date_field: str | None = None

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)

    def model_field(self, column: str) -> models.Field:
        return self.model._meta.get_field(self.columns[column])

    def fields(self) -> list[models.Field]:
        """The model fields this spec fills, in the model's order."""
        names = set(self.columns.values())
        return [f for f in self.model._meta.concrete_fields if f.name in names]

    @property
    def is_fact(self) -> bool:
        """Fact rows carry their batch; dimension rows are keyed by id."""
        return any(f.name == "batch" for f in self.model._meta.concrete_fields)

    def depends_on(self) -> set[type[models.Model]]:
        """Models whose rows must exist before this table loads."""
        targets = {
            f.related_model
            for f in self.model._meta.concrete_fields
            if f.is_relation and f.related_model is not self.model
        }
        return {m for m in targets if m._meta.app_label != "etl"}


def same(*names: str) -> dict[str, str]:
    """Columns whose file name is the field name."""
    return {n: n for n in names}


_registry: dict[str, TableSpec] = {}


def register(*specs: TableSpec) -> None:
    for spec in specs:
        _registry[spec.name] = spec


class UnknownTable(LookupError):
    pass


def get_spec(name: str) -> TableSpec:
    try:
        return _registry[name]
    except KeyError:
        known = ", ".join(sorted(_registry))
        raise UnknownTable(f"No table named {name!r}; known tables: {known}.") from None


def specs_for_model(model) -> list[TableSpec]:
    """The specs that load into ``model`` (its own first)."""
    found = [s for s in _registry.values() if s.model is model]
    if not found:
        raise UnknownTable(f"No table spec loads {model._meta.label}.")
    return sorted(found, key=lambda s: s.distinct)


def specs_in_load_order() -> list[TableSpec]:
    """Every registered spec, each after the tables it refers to."""
    pending = dict(_registry)
    ordered: list[TableSpec] = []
    while pending:
        loaded = {s.model for s in ordered}
        wanted = {s.model for s in pending.values()}
        ready = [
            s
            for s in pending.values()
            if not (s.depends_on() & wanted - loaded)
            and not (s.calendar_columns and _calendar_model() in wanted - loaded)
        ]
        if not ready:
            raise RuntimeError(f"Circular table specs: {sorted(pending)}")
        for spec in sorted(ready, key=lambda s: s.name):
            ordered.append(pending.pop(spec.name))
    return ordered


def _calendar_model():
    return apps.get_model("inventory.CalendarDay")
