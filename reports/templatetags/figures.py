"""How figures read on a page: money with thousands and cents, ratios as
percentages, changes with their sign."""

from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()


@register.filter
def figure(value, fmt):
    if value is None or value == "":
        return "–" if fmt else ""
    if fmt == "money":
        return f"{Decimal(value).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"
    if fmt == "ratio":
        return f"{Decimal(value) * 100:.2f} %"
    if fmt in ("units", "count"):
        number = Decimal(value)
        return f"{number:,.0f}" if number == number.to_integral() else f"{number:,.2f}"
    if fmt == "days":
        return f"{Decimal(value):.2f}"
    return value


@register.filter
def change(value):
    if value is None:
        return "no data to compare"
    return f"{Decimal(value) * 100:+.1f} %"


@register.filter
def change_class(value):
    if value is None:
        return "flat"
    return "up" if value > 0 else "down" if value < 0 else "flat"
