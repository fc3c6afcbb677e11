"""What a report page shows, built from a request: the filters read from
the query string, the level the drill-down is at, the figures (with a
companion fact's where one applies), the chart, the breadcrumbs and the
links down and into the admin. Views render it, exports write it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from inventory.scoping import store_ids_for
from reports import compare
from reports.cache import cached_run
from reports.catalog import BY_SLUG, REPORTS, Report
from reports.cubes import Fact, Query, QueryError, Result, get_fact, parse_date, run_lines

CONTROL_PARAMS = {"from", "to", "sort", "top", "bottom", "by", "format", "compare"}
# The filters every report offers as menus, where its fact has the level.
MENU_LEVELS = ("store_state", "store_name", "product_family", "media_type")
TOP_N = (10, 25)


@dataclass
class Column:
    name: str
    label: str
    format: str | None  # None: a level


@dataclass
class Page:
    report: Report
    level: str | None  # None: the fact rows themselves
    columns: list[Column]
    rows: list[list]  # plain values, as exported
    links: list[str | None] = field(default_factory=list)  # drill-down per row
    admin_links: list[dict[str, str]] = field(default_factory=list)
    crumbs: list[tuple[str, str]] = field(default_factory=list)
    sql: list[tuple[str, str, list]] = field(default_factory=list)  # (source, sql, params)
    chart: dict | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)
    notice: str = ""
    compared: str | None = None  # the column of the compared period

    @property
    def level_label(self) -> str:
        return _label(self.level) if self.level else ""


def parse(report: Report, params) -> tuple[Query, str | None]:
    """The report's query at its current drill level, from the query
    string; QueryError says what is wrong with it."""
    fact = get_fact(report.fact)
    unknown = [k for k in params if k not in CONTROL_PARAMS and k not in fact.levels]
    if unknown:
        raise QueryError(f"unknown filter {unknown[0]!r} for {report.title}")
    filters = {k: params.getlist(k) for k in params if k in fact.levels}
    for name, values in filters.items():
        if any(not v.strip() for v in values):
            raise QueryError(f"filter {name} is empty")
    query = Query(report.fact, filters=filters)
    query.date_from, query.date_to = _date(params, "from"), _date(params, "to")
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise QueryError("the period ends before it starts ('from' is after 'to')")
    path = report.path(params.get("by"))
    if params.get("by") and params["by"] not in report.pick:
        raise QueryError(f"{report.title} cannot be grouped by {params['by']!r}")
    deepest = max((path.index(n) for n in filters if n in path), default=-1)
    level = path[deepest + 1] if deepest + 1 < len(path) else None
    if level:
        query.by = [level]
        query.measures = [*report.measures, *report.level_measures.get(level, ())]
        query.sort = [params["sort"]] if params.get("sort") else list(report.sort)
        _top_or_bottom(report, params, query)
    return query, level


def _date(params, name) -> dt.date | None:
    value = params.get(name)
    return parse_date(value, name) if value else None


def _top_or_bottom(report: Report, params, query: Query) -> None:
    for key, sign in (("top", "-"), ("bottom", "")):
        if key in params:
            if not report.top:
                raise QueryError(f"{report.title} has no {key} N")
            try:
                n = int(params[key])
                if not 1 <= n <= 1000:
                    raise ValueError
            except ValueError:
                raise QueryError(f"{key} {params[key]!r} is not a number from 1 to 1000") from None
            query.sort, query.limit = [sign + report.measures[0]], n


def next_report_url(report: Report, params) -> str | None:
    """Where a report whose drill-down has ended goes on (None: to its
    lines, shown by the report itself)."""
    _, level = parse(report, params)
    if level is not None or report.then == "lines":
        return None
    kept = _kept(params)
    kept.pop("by", None)
    return reverse("reports:report", args=[report.then]) + _query_string(kept)


def menus(report: Report, params, user) -> list[dict]:
    """The filter menus of ``report``: level, label, choices (the user's
    stores only), the chosen value."""
    from inventory.models import ProductClass, Store
    from sales.models import Promotion

    fact = get_fact(report.fact)
    stores = Store.objects.for_user(user)
    sources = {
        "store_state": lambda: stores.values_list("store_state", flat=True),
        "store_name": lambda: stores.values_list("store_name", flat=True),
        "product_family": lambda: ProductClass.objects.values_list("product_family", flat=True),
        "media_type": lambda: Promotion.objects.values_list("media_type", flat=True),
    }
    return [
        {
            "name": level,
            "label": _label(level),
            "choices": sorted(set(sources[level]())),
            "chosen": params.get(level, ""),
        }
        for level in MENU_LEVELS
        if level in fact.levels
    ]


def build(report: Report, params, user) -> Page:
    """The page of ``report`` for ``params`` (a QueryDict) and ``user``."""
    query, level = parse(report, params)
    fact = get_fact(report.fact)
    page = Page(report, level, [], [], filters=query.filters)
    page.crumbs = crumbs(report, params)
    if level is None:
        return _lines(page, fact, query, user)
    the_plan = compare.plan(fact, query, params["compare"]) if params.get("compare") else None
    if the_plan:
        query = the_plan.current
    result = cached_run(query, store_ids=store_ids_for(user))
    page.sql.append((result.source, result.sql, result.params))
    page.columns = [
        Column(c, fact.measures[c].label if c in fact.measures else _label(c), _fmt(fact, c))
        for c in result.columns
    ]
    page.rows = [list(row) for row in result.rows]
    if report.companion and _companion_applies(report, query, level):
        _add_companion(page, report, query, level, user)
    if the_plan:
        _add_comparison(page, fact, the_plan, level, user)
    page.links = [_drill_url(report, params, level, row[0]) for row in page.rows]
    page.admin_links = [_admin_links(fact, ids, user) for ids in result.record_ids]
    page.chart = _chart(report, page, level)
    if report.annotate_promotions and level in ("month", "day"):
        page.chart["annotations"] = promotion_marks(query, level, page.rows, user)
    return page


def promotion_marks(query: Query, level: str, rows, user) -> list[dict]:
    """The promotions that started in each month or day of a time chart
    (within the query's filters and the user's stores): where lift shows."""
    promoted = replace(
        query,
        by=["promotion_name", "promotion_start"],
        measures=["store_sales"],
        sort=["-store_sales"],
        limit=None,
    )
    promoted.filters = {**query.filters, "promoted": ["yes"]}
    result = cached_run(promoted, store_ids=store_ids_for(user))
    fmt = "%Y-%m" if level == "month" else "%Y-%m-%d"
    buckets: dict[str, list[str]] = {}
    for name, start, _ in result.rows:
        if start:
            buckets.setdefault(start.strftime(fmt), []).append(name)
    labels = [str(row[0]) for row in rows]
    return [
        {"index": labels.index(key), "label": _marks(names), "title": ", ".join(names)}
        for key, names in sorted(buckets.items())
        if key in labels
    ]


def _marks(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{names[0]} +{len(names) - 1}"


def _add_comparison(page: Page, fact: Fact, the_plan, level: str, user) -> None:
    """The first measure over the other period, and its change, as two
    more columns (and a second series in the chart)."""
    other = cached_run(the_plan.other, store_ids=store_ids_for(user))
    page.sql.append((other.source, other.sql, other.params))
    measure = the_plan.current.measures[0]
    column = [c.name for c in page.columns].index(measure)
    by_position = fact.level(level).grain is not None
    pairs = compare.facing(page.rows, other.rows, column, by_position=by_position)
    page.columns += [
        Column(
            f"{measure}_compared", f"{_label(measure)} ({the_plan.label})", _fmt(fact, measure)
        ),
        Column(f"{measure}_change", "Change", "ratio"),
    ]
    for row, pair in zip(page.rows, pairs, strict=True):
        row += pair
    page.compared = f"{measure}_compared"


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _fmt(fact: Fact, name: str) -> str | None:
    return fact.measures[name].format if name in fact.measures else None


def _companion_applies(report: Report, query: Query, level: str) -> bool:
    other = get_fact(report.companion.fact)
    return level in other.levels and all(n in other.levels for n in query.filters)


def _add_companion(page: Page, report: Report, query: Query, level: str, user) -> None:
    comp = report.companion
    other = get_fact(comp.fact)
    second = Query(
        comp.fact,
        by=[level],
        measures=list(comp.measures),
        filters=query.filters,
        date_from=query.date_from,
        date_to=query.date_to,
    )
    result = cached_run(second, store_ids=store_ids_for(user))
    page.sql.append((result.source, result.sql, result.params))
    found = {row[0]: row[1:] for row in result.rows}
    names = [c.name for c in page.columns]
    for m in comp.measures:
        page.columns.append(Column(m, other.measures[m].label, other.measures[m].format))
    for row in page.rows:
        row.extend(found.get(row[0], (None,) * len(comp.measures)))
    names += list(comp.measures)
    for name, op, a, b, fmt in comp.derived:
        page.columns.append(Column(name, _label(name), fmt))
        operation = _ratio if op == "ratio" else _difference
        for row in page.rows:
            row.append(operation(row[names.index(a)], row[names.index(b)]))
        names.append(name)


def _ratio(a, b):
    return None if a is None or not b else Decimal(a) / Decimal(b)


def _difference(a, b):
    return None if a is None or b is None else Decimal(a) - Decimal(b)


def _query_string(params: dict[str, list[str]]) -> str:
    pairs = [(k, v) for k, values in params.items() for v in values]
    return "?" + urlencode(pairs) if pairs else ""


def _kept(params) -> dict[str, list[str]]:
    """The filters and period of ``params``, without sorting and paging."""
    return {k: params.getlist(k) for k in params if k not in {"sort", "top", "bottom", "format"}}


def _drill_url(report: Report, params, level: str, value) -> str | None:
    if value is None:
        return None
    kept = _kept(params)
    kept[level] = [str(value)]
    path = report.path(params.get("by"))
    target = report
    if path.index(level) == len(path) - 1 and report.then != "lines":
        target = BY_SLUG[report.then]
        kept.pop("by", None)
    return reverse("reports:report", args=[target.slug]) + _query_string(kept)


def crumbs(report: Report, params) -> list[tuple[str, str]]:
    """The way down so far: the catalogue, the report, then each filter in
    the order it was added, each a link back up to where it was chosen
    (the report whose drill-down holds its level)."""
    trail = [
        ("Reports", reverse("reports:catalogue")),
        (report.title, reverse("reports:report", args=[report.slug]) + _period(params)),
    ]
    kept: dict[str, list[str]] = {k: params.getlist(k) for k in ("from", "to") if k in params}
    if "by" in params:
        kept["by"] = [params["by"]]
    for name in [k for k in params if k not in CONTROL_PARAMS]:
        kept[name] = params.getlist(name)
        home = report if name in report.path(params.get("by")) else _home_of(name)
        label = f"{_label(name)}: {', '.join(kept[name])}"
        trail.append((label, reverse("reports:report", args=[home.slug]) + _query_string(kept)))
    return trail


def _period(params) -> str:
    return _query_string({k: params.getlist(k) for k in ("from", "to") if k in params})


def _home_of(level: str) -> Report:
    return next((r for r in REPORTS if level in r.drill), REPORTS[0])


def _admin_links(fact: Fact, ids: dict[str, int], user) -> dict[str, str]:
    links = {}
    for name, pk in ids.items():
        if name == "id":
            app, model = fact.lines_model
        else:
            app, model, _ = fact.levels[name].record
        if pk is not None and user.has_perm(f"{app}.view_{model}"):
            try:
                links[name] = reverse(f"admin:{app}_{model}_change", args=[pk])
            except NoReverseMatch:
                continue
    return links


def _lines(page: Page, fact: Fact, query: Query, user) -> Page:
    result: Result = run_lines(query, user=user)
    page.sql.append((result.source, result.sql, result.params))
    page.columns = [
        Column(c, _label(c) if c != "id" else "Line", "units" if c in fact.line_values else None)
        for c in result.columns
    ]
    page.rows = [list(row) for row in result.rows]
    page.links = [None] * len(page.rows)
    page.admin_links = [_admin_links(fact, ids, user) for ids in result.record_ids]
    if len(page.rows) == 500:
        page.notice = "The latest 500 lines; narrow the filters to see others."
    return page


def _chart(report: Report, page: Page, level: str) -> dict:
    names = [c.name for c in page.columns]
    measures = [m for m in report.chart_measures or report.measures[:1] if m in names]
    if page.compared:
        measures.append(page.compared)
    kind = (
        "line" if report.chart == "line" and level in ("year", "quarter", "month", "day") else None
    )
    return {
        "kind": kind or ("doughnut" if report.chart == "doughnut" else "bar"),
        "labels": [str(row[0]) for row in page.rows],
        "series": [
            {
                "label": page.columns[names.index(m)].label,
                "data": [_number(row[names.index(m)]) for row in page.rows],
            }
            for m in measures
        ],
        "links": page.links,
    }


def _number(value):
    return None if value is None else float(value)
