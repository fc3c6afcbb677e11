"""A report's chart as a PNG, drawn on the server with matplotlib's Agg
canvas (no browser, no display, no pyplot global state), from the same
chart dict the page hands to Chart.js: kind, labels, series."""

from __future__ import annotations

import io
import math

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

MAX_TICKS = 24


def _numbers(data) -> list[float]:
    return [math.nan if v is None else float(v) for v in data]


def _bars(ax, labels, series) -> None:
    width = 0.8 / len(series)
    for i, s in enumerate(series):
        xs = [x + (i - (len(series) - 1) / 2) * width for x in range(len(labels))]
        ax.bar(xs, _numbers(s["data"]), width, label=s["label"])


def _lines(ax, labels, series) -> None:
    for s in series:
        ax.plot(range(len(labels)), _numbers(s["data"]), marker="o", label=s["label"])


def _doughnut(ax, labels, series) -> None:
    pairs = [(lab, v) for lab, v in zip(labels, series[0]["data"], strict=True) if v and v > 0]
    if pairs:
        names, values = zip(*pairs, strict=True)
        ax.pie(values, labels=names, wedgeprops={"width": 0.4}, autopct="%1.0f%%", pctdistance=0.8)
    ax.axis("equal")


def _ticks(ax, labels) -> None:
    step = max(1, math.ceil(len(labels) / MAX_TICKS))
    ax.set_xticks(range(0, len(labels), step))
    ax.set_xticklabels(labels[::step], rotation=45, ha="right", fontsize=8)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 10 else f"{v:g}")
    ax.grid(axis="y", alpha=0.3)


def render_png(chart: dict | None, *, title: str = "") -> bytes | None:
    """The chart as PNG bytes; None when there is nothing to draw."""
    if not chart or not chart.get("labels") or not chart.get("series"):
        return None
    labels = [str(label) for label in chart["labels"]]
    figure = Figure(figsize=(8, 4), dpi=100, layout="tight")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    kind = chart.get("kind", "bar")
    draw = {"line": _lines, "doughnut": _doughnut}.get(kind, _bars)
    draw(ax, labels, chart["series"])
    if kind != "doughnut":
        _ticks(ax, labels)
        ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
