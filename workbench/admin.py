from django.contrib import admin
from django.template.defaultfilters import truncatechars
from explorer.ee.db_connections.models import DatabaseConnection
from explorer.models import ExplorerValue

from workbench.models import Run


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    """The run log, read-only. Only superusers see it: no group is given
    permissions on it (people/roles.py covers the business apps)."""

    list_display = ["started_at", "username", "door", "short_sql", "rows", "duration", "ok"]
    list_filter = ["door", "started_at"]
    search_fields = ["username", "sql", "error"]
    date_hierarchy = "started_at"
    list_select_related = ["query"]
    readonly_fields = [f.name for f in Run._meta.fields]

    @admin.display(description="SQL")
    def short_sql(self, run):
        return truncatechars(" ".join(run.sql.split()), 80)

    @admin.display(description="ms", ordering="duration_ms")
    def duration(self, run):
        return None if run.duration_ms is None else round(run.duration_ms)

    @admin.display(boolean=True, description="ok")
    def ok(self, run):
        return run.succeeded

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The workbench has one connection, its own (services.py): no screen for
# adding another (a connection is a database login that every analyst
# could then pick), nor for Explorer's telemetry values.
admin.site.unregister(DatabaseConnection)
admin.site.unregister(ExplorerValue)
