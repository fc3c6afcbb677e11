"""Report pages: the catalogue, the executive overview, each catalogue
report with its drill-down, its exports, and the layer as JSON."""

from __future__ import annotations

import datetime as dt
import functools
import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify

from foodmart_site.exports import neutralise
from inventory.scoping import store_ids_for
from reports import compare, kpis, output, overview
from reports.cache import cached_run, one_version
from reports.catalog import BY_SLUG, reports_for
from reports.cubes import (
    FACTS,
    Query,
    QueryError,
    parse_date,
    parse_filters,
    parse_names,
    period_bounds,
    read_alias,
)
from reports.output import plain
from reports.pages import MENU_LEVELS, TOP_N, build, menus, next_report_url


@login_required
def catalogue(request):
    return render(
        request,
        "reports/catalogue.html",
        {"reports": reports_for(request.user), "can_sales": _can_sales(request.user)},
    )


def _can_sales(user) -> bool:
    return user.has_perm("sales.view_saleline")


def _bad_request(request, message: str, *, title: str = "Report"):
    return render(request, "reports/error.html", {"message": message, "title": title}, status=400)


def one_version_per_page(view):
    """Every query of a page reads the same data version (one lookup)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        with one_version():
            return view(request, *args, **kwargs)

    return wrapped


@login_required
@one_version_per_page
def executive_overview(request):
    if not _can_sales(request.user):
        raise PermissionDenied
    try:
        grain, value = overview.period_of(request.GET)
    except QueryError as exc:
        return _bad_request(request, str(exc), title="Executive overview")
    store_ids = store_ids_for(request.user)
    tiles, results = overview.tiles(grain, value, store_ids)
    trend = overview.trend(grain, value, store_ids)
    states = overview.by_state(grain, value, store_ids)
    start, end = period_bounds(grain, value)
    same_store = kpis.same_store_growth(start, end, store_ids=store_ids, using=read_alias())
    geography = reverse("reports:report", args=["geography"])
    over_time = reverse("reports:report", args=["sales-over-time"])
    chart = {
        "kind": "line",
        "labels": [row[0] for row in trend.rows],
        "series": [
            {"label": "Store sales", "data": [float(r[1]) for r in trend.rows]},
            {"label": "Profit", "data": [float(r[2]) for r in trend.rows]},
        ],
        "links": [f"{over_time}?year={r[0][:4]}&month={r[0]}" for r in trend.rows],
    }
    state_rows = [
        (f"{geography}?store_country={r[0]}&store_state={r[1]}&{grain}={value}", *r)
        for r in states.rows
    ]
    return render(
        request,
        "reports/overview.html",
        {
            "grain": grain,
            "value": value,
            "previous": overview.shift(grain, value, overview.STEP[grain]),
            "last_year": overview.shift(grain, value, 12),
            "tiles": tiles,
            "chart": chart,
            "states": state_rows,
            "sql": [(r.source, r.sql, r.params) for r in [*results, trend, states]],
            "periods": overview.nearby(grain, value),
            "same_store": same_store,
        },
    )


@login_required
@one_version_per_page
def report(request, slug):
    if slug == "overview":
        return executive_overview(request)
    rep = BY_SLUG.get(slug)
    if rep is None:
        raise Http404(f"No report {slug!r}.")
    if not request.user.has_perm(rep.permission):
        raise PermissionDenied
    params = _without_blanks(request.GET)
    try:
        onward = next_report_url(rep, params)
        if onward:
            return redirect(onward)
        page = build(rep, params, request.user)
    except QueryError as exc:
        return _bad_request(request, str(exc), title=rep.title)
    fmt = params.get("format")
    if fmt in ("csv", "xlsx"):
        return _export(page, fmt)
    if fmt:
        return _bad_request(request, f"format {fmt!r}: choose csv or xlsx", title=rep.title)
    return render(
        request,
        "reports/report.html",
        {
            "page": page,
            "report": rep,
            "table": _table(page),
            "top_n": TOP_N,
            "query_string": params.urlencode(),
            "sort": params.get("sort", ""),
            "menus": menus(rep, params, request.user),
            "comparisons": compare.CHOICES,
            "hidden": {k: v for k, v in page.filters.items() if k not in MENU_LEVELS},
        },
    )


def _without_blanks(query_dict):
    """The query string without empty values: a menu left at "(all)"."""
    params = query_dict.copy()
    for key in list(params):
        values = [v for v in params.getlist(key) if v.strip()]
        if values:
            params.setlist(key, values)
        else:
            del params[key]
    return params


def _table(page):
    """Rows for the template: (cells, drill link, admin links by column)."""
    out = []
    for i, row in enumerate(page.rows):
        admin = page.admin_links[i] if i < len(page.admin_links) else {}
        cells = [
            {"value": v, "format": c.format, "admin": admin.get(c.name)}
            for v, c in zip(row, page.columns, strict=True)
        ]
        out.append({"cells": cells, "link": page.links[i] if page.links else None})
    return out


def _export(page, fmt: str) -> HttpResponse:
    """Exactly what the page shows, as CSV or XLSX."""
    header = [c.name for c in page.columns]
    rows = [
        [plain(v, c.format) for v, c in zip(row, page.columns, strict=True)] for row in page.rows
    ]
    level = page.level or "lines"
    name = f"{page.report.slug}-{slugify(level)}-{dt.date.today():%Y%m%d}.{fmt}"
    if fmt == "csv":
        safe = [[neutralise(v) for v in row] for row in rows]
        response = HttpResponse(
            output.csv_text(header, safe), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(
            _xlsx(header, rows, page),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _xlsx(header, rows, page) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(page.report.title[:31])
    money = book.add_format({"num_format": "#,##0.00"})
    ratio = book.add_format({"num_format": "0.00%"})
    sheet.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, (value, column) in enumerate(zip(row, page.columns, strict=True)):
            if value is None:
                continue
            if column.format in ("money", "days", "units", "count", "ratio"):
                fmt = (
                    ratio
                    if column.format == "ratio"
                    else money
                    if column.format == "money"
                    else None
                )
                sheet.write_number(r, c, float(value), fmt)
            else:
                sheet.write_string(r, c, str(value))
    book.close()
    return buffer.getvalue()


@login_required
def api_query(request, fact):
    """The layer over HTTP: /reports/api/FACT/?by=..&measures=..&filter=LEVEL:VALUE
    &from=..&to=..&sort=..&limit=..; the user's store scope applies."""
    if fact not in FACTS:
        return JsonResponse({"error": f"no fact {fact!r}; facts: {', '.join(FACTS)}"}, status=404)
    app, model = FACTS[fact].lines_model
    if not request.user.has_perm(f"{app}.view_{model}"):
        return JsonResponse({"error": f"you may not read {fact}"}, status=403)
    try:
        query = _api_query(fact, request.GET)
        result = cached_run(query, store_ids=store_ids_for(request.user))
    except QueryError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse(output.to_json(result))


def _api_query(fact: str, params) -> Query:
    def names(key):
        return parse_names(params.get(key, ""))

    known = {"by", "measures", "filter", "from", "to", "sort", "limit"}
    unknown = [k for k in params if k not in known]
    if unknown:
        raise QueryError(f"unknown parameter {unknown[0]!r}; use {', '.join(sorted(known))}")
    filters = parse_filters(params.getlist("filter"), ":")
    query = Query(fact, names("by"), names("measures"), filters, sort=names("sort"))
    for key in ("from", "to"):
        if params.get(key):
            setattr(query, f"date_{key}", parse_date(params[key], key))
    if params.get("limit"):
        try:
            query.limit = int(params["limit"])
        except ValueError:
            raise QueryError(f"limit {params['limit']!r} is not a number") from None
    return query
