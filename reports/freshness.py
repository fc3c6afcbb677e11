"""How fresh the figures are: the latest day with sales, and the last
load or rollback that changed the data, for the line every page and
email carries ("data up to DATE, last load BATCH at TIME")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connections
from django.db.models import F
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone

from etl.models import Batch
from reports.cubes import read_alias


@dataclass(frozen=True)
class Freshness:
    up_to: dt.date | None
    batch: Batch | None
    at: dt.datetime | None  # when that batch finished or was rolled back

    @property
    def batch_url(self) -> str | None:
        if self.batch is None:
            return None
        return reverse("admin:etl_batch_change", args=[self.batch.pk])

    @property
    def rolled_back(self) -> bool:
        return self.batch is not None and self.batch.status == Batch.Status.ROLLED_BACK

    def __str__(self) -> str:
        up_to = self.up_to.isoformat() if self.up_to else "no sales yet"
        if self.batch is None:
            return f"Data up to {up_to}; no load yet."
        what = "last change: rollback of batch" if self.rolled_back else "last load: batch"
        at = timezone.localtime(self.at).strftime("%Y-%m-%d %H:%M")
        return f"Data up to {up_to}; {what} {self.batch.pk} ({self.batch.source_name}) at {at}."


def latest_sale_day() -> dt.date | None:
    """The newest day with sales: the rollup's newest day is the sale
    lines' (the triggers keep it), at a fraction of the fact table's cost."""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute("SELECT max(sale_date) FROM rollup_sales_day_store_promotion")
        return cursor.fetchone()[0]


def freshness() -> Freshness:
    up_to = latest_sale_day()
    batch = (
        Batch.objects.filter(status__in=[Batch.Status.DONE, Batch.Status.ROLLED_BACK])
        .annotate(
            changed=Greatest(F("finished_at"), Coalesce(F("rolled_back_at"), F("finished_at")))
        )
        .order_by(F("changed").desc(nulls_last=True), "-pk")
        .first()
    )
    return Freshness(up_to, batch, batch.changed if batch else None)


def freshness_context(request) -> dict:
    """Template context processor: ``freshness`` on every page of a
    logged-in user."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"freshness": freshness()}
