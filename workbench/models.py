from django.conf import settings
from django.db import models


class Run(models.Model):
    """One statement run in the workbench on an analyst's behalf: a query
    page, a playground run, a chart, an export. Written for every run,
    failed ones included (``error``), by ``workbench/runs.py``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Kept as typed, so the log still says who after a user is deleted.
    username = models.CharField(max_length=150, blank=True)
    door = models.CharField(max_length=60, blank=True, help_text="The workbench page that ran it.")
    query = models.ForeignKey(
        "explorer.Query", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sql = models.TextField()
    started_at = models.DateTimeField(db_index=True)
    duration_ms = models.FloatField(null=True, blank=True)
    rows = models.BigIntegerField(
        null=True, blank=True, help_text="Rows the database returned (the page shows fewer)."
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"{self.username or 'unknown'} at {self.started_at:%Y-%m-%d %H:%M:%S}"

    @property
    def succeeded(self) -> bool:
        return not self.error
