"""KPI columns in the back office's lists, from the same layer as the
reports: promotion lift on promotions, sales per square foot (the last 12
months of data) on stores.

The business apps do not import ``reports`` (the data flows one way), so
this module extends their registered admins: it re-registers Promotion
and Store with a subclass of the app's own admin that adds the column.
Each list computes its column in one query for the rows of the page.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import admin

from inventory.models import Store
from inventory.scoping import store_ids_for
from reports import kpis
from reports.cubes import Query, read_alias, run_query
from reports.freshness import latest_sale_day
from reports.templatetags.figures import figure
from sales.models import Promotion


class KpiColumnAdmin:
    """Admin mixin: ``kpi_values(request, objects)`` fills ``obj.kpi`` for
    the objects of a changelist page, once, after the page is read."""

    def kpi_values(self, request, objects) -> dict:
        raise NotImplementedError

    def get_changelist(self, request, **kwargs):
        base = super().get_changelist(request, **kwargs)
        model_admin = self

        class WithKpi(base):
            def get_results(self, request):
                super().get_results(request)
                objects = list(self.result_list)
                values = model_admin.kpi_values(request, objects)
                for obj in objects:
                    obj.kpi = values.get(obj.pk)

        return WithKpi


def extend(model, mixin, column: str) -> None:
    """Re-register ``model`` with its app's admin plus the KPI column."""
    registered = type(admin.site._registry[model])
    subclass = type(
        f"{registered.__name__}WithKpi",
        (mixin, registered),
        {"list_display": [*registered.list_display, column]},
    )
    admin.site.unregister(model)
    admin.site.register(model, subclass)


class PromotionLift(KpiColumnAdmin):
    @admin.display(description="Lift")
    def lift(self, obj):
        return figure(getattr(obj, "kpi", None), "ratio")

    def kpi_values(self, request, objects):
        lifts = kpis.promotion_lift(
            [[p.pk] for p in objects], store_ids=store_ids_for(request.user), using=read_alias()
        )
        return {p.pk: v for p, v in zip(objects, lifts, strict=True)}


class StoreSalesPerSqft(KpiColumnAdmin):
    @admin.display(description="Sales per sq ft, last 12 months")
    def sales_per_sqft(self, obj):
        return figure(getattr(obj, "kpi", None), "money")

    def kpi_values(self, request, objects):
        up_to = latest_sale_day()
        if up_to is None or not objects:
            return {}
        months_back = up_to.year * 12 + up_to.month - 12  # the 12 months to up_to's
        query = Query(
            "sales",
            ["store_name"],
            ["sales_per_sqft"],
            {"store_name": [s.store_name for s in objects]},
            date_from=dt.date(months_back // 12, months_back % 12 + 1, 1),
            date_to=up_to,
        )
        result = run_query(query, user=request.user)
        by_name = dict(result.rows)
        return {s.pk: by_name.get(s.store_name) for s in objects}


extend(Promotion, PromotionLift, "lift")
extend(Store, StoreSalesPerSqft, "sales_per_sqft")
