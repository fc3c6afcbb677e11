"""The record of every load: which file, whose, how it went, and what it
changed, so that it can be undone."""

from django.conf import settings
from django.db import models


class Batch(models.Model):
    """One file (or DataFrame) loaded into one table. Fact rows carry their
    batch's id; rows a batch updated or deleted keep their earlier state in
    RowImage. The content hash lets an append refuse a file already loaded."""

    class Status(models.TextChoices):
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        ROLLED_BACK = "rolled_back", "Rolled back"

    class Mode(models.TextChoices):
        APPEND = "append"
        UPSERT = "upsert"
        REPLACE = "replace"

    table = models.CharField(max_length=60, help_text="The table spec's name.")
    source_name = models.CharField(max_length=255)
    sha256 = models.CharField("content hash", max_length=64)
    mode = models.CharField(max_length=20, choices=Mode.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    forced = models.BooleanField(
        default=False, help_text="Loaded again on purpose although the same file was loaded."
    )
    keep_valid = models.BooleanField(
        default=False, help_text="Valid rows were loaded and invalid ones rejected."
    )
    scope = models.JSONField(
        default=dict, blank=True, help_text="What a replace replaced (a table or a date range)."
    )
    rows_read = models.IntegerField(default=0)
    rows_inserted = models.IntegerField(default=0)
    rows_updated = models.IntegerField(default=0)
    rows_unchanged = models.IntegerField(default=0)
    rows_deleted = models.IntegerField(default=0)
    rows_rejected = models.IntegerField(default=0)
    error_report = models.TextField(
        blank=True, help_text="Problems as CSV: file, row, column, value, reason."
    )
    warnings = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    started_by = models.CharField(
        max_length=60, blank=True, help_text="The door: command, admin, notebook, watch."
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rolled_back_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name_plural = "batches"
        permissions = [("rollback_batch", "Can roll back a batch")]
        indexes = [models.Index(fields=["table", "sha256"], name="batch_table_hash_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["table", "sha256"],
                condition=models.Q(status="done", mode="append", forced=False),
                name="batch_file_appended_once",
            ),
            models.CheckConstraint(
                condition=models.Q(rows_read__gte=0)
                & models.Q(rows_inserted__gte=0)
                & models.Q(rows_updated__gte=0)
                & models.Q(rows_unchanged__gte=0)
                & models.Q(rows_deleted__gte=0)
                & models.Q(rows_rejected__gte=0),
                name="batch_counts_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(mode__in=["append", "upsert", "replace"]),
                name="batch_mode_known",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.table} from {self.source_name} ({self.status})"

    def summary(self) -> str:
        return (
            f"batch {self.pk} {self.status}: {self.source_name} -> {self.table} ({self.mode}), "
            f"read {self.rows_read}, inserted {self.rows_inserted}, "
            f"updated {self.rows_updated}, unchanged {self.rows_unchanged}, "
            f"deleted {self.rows_deleted}, rejected {self.rows_rejected}"
        )


class RowImage(models.Model):
    """A row as it was before a batch changed it (``before``), or the key of
    a row the batch inserted into a dimension (``before`` is NULL)."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="images")
    key = models.JSONField()
    before = models.JSONField(null=True)

    class Meta:
        indexes = [models.Index(fields=["batch"], name="rowimage_batch_idx")]

    def __str__(self):
        return f"{self.batch_id}: {self.key}"


class UploadJob(models.Model):
    """A big upload waiting for, or in, a background load; its page shows
    the progress (rows done of the file's rows) and then its batch."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    table = models.CharField(max_length=60)
    source_name = models.CharField(max_length=255)
    path = models.CharField(max_length=500, help_text="Where the upload waits on disk.")
    size = models.BigIntegerField()
    rows_total = models.IntegerField(help_text="Rows in the file (its lines less the header).")
    rows_done = models.IntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    message = models.TextField(blank=True)
    batch = models.ForeignKey(Batch, on_delete=models.SET_NULL, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rows_done__gte=0) & models.Q(size__gte=0),
                name="uploadjob_counts_not_negative",
            )
        ]

    def __str__(self):
        return f"{self.source_name} -> {self.table} ({self.status})"

    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, int(100 * self.rows_done / self.rows_total)) if self.rows_total else 0
