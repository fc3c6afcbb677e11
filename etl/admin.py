from django.contrib import admin

from etl.models import Batch


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "table",
        "source_name",
        "mode",
        "status",
        "rows_read",
        "rows_inserted",
        "rows_updated",
        "rows_unchanged",
        "created_by",
        "started_at",
        "finished_at",
    ]
    list_filter = ["status", "table", "mode"]
    search_fields = ["source_name", "sha256"]
    list_select_related = ["created_by"]
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in Batch._meta.fields]

    def has_add_permission(self, request):
        return False  # batches are written by loads only
