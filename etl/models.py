"""The record of every load: which file, whose, how it went."""

from django.conf import settings
from django.db import models


class Batch(models.Model):
    """One file loaded into one table. Fact rows carry their batch's id, so
    a batch can be traced (and, later, undone) row by row; its content hash
    lets an append refuse a file that was already loaded."""

    class Status(models.TextChoices):
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        ROLLED_BACK = "rolled_back", "Rolled back"

    table = models.CharField(max_length=60, help_text="The table spec's name.")
    source_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    mode = models.CharField(max_length=20)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    rows_read = models.IntegerField(default=0)
    rows_inserted = models.IntegerField(default=0)
    rows_updated = models.IntegerField(default=0)
    rows_unchanged = models.IntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name_plural = "batches"
        indexes = [models.Index(fields=["table", "sha256"], name="batch_table_hash_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["table", "sha256"],
                condition=models.Q(status="done", mode="append"),
                name="batch_file_appended_once",
            ),
            models.CheckConstraint(
                condition=models.Q(rows_read__gte=0)
                & models.Q(rows_inserted__gte=0)
                & models.Q(rows_updated__gte=0)
                & models.Q(rows_unchanged__gte=0),
                name="batch_counts_not_negative",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.table} from {self.source_name} ({self.status})"
