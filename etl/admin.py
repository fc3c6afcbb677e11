from django.contrib import admin, messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from etl.models import Batch, UploadJob
from etl.pipeline import rollback
from inventory.scoping import store_ids_for


def own_unless_head_office(queryset, user):
    """Head-office roles see every load; a store's people see their own."""
    if store_ids_for(user) is None:
        return queryset
    return queryset.filter(created_by=user)


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
        "rows_rejected",
        "created_by",
        "started_by",
        "started_at",
        "report_link",
    ]
    list_filter = ["status", "table", "mode", "started_by"]
    search_fields = ["source_name", "sha256"]
    list_select_related = ["created_by"]
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in Batch._meta.fields]
    actions = ["roll_back"]

    def get_queryset(self, request):
        return own_unless_head_office(super().get_queryset(request), request.user)

    def has_add_permission(self, request):
        return False  # batches are written by loads only

    def has_change_permission(self, request, obj=None):
        return False  # a batch is a record: undo it, do not edit it

    def has_delete_permission(self, request, obj=None):
        return False  # nor delete it: the rollback action undoes a load

    def has_rollback_permission(self, request):
        return request.user.has_perm("etl.rollback_batch")

    @admin.display(description="problems")
    def report_link(self, obj):
        if not obj.error_report:
            return "-"
        url = reverse("admin:etl_batch_report", args=[obj.pk])
        return format_html('<a href="{}">download</a>', url)

    def get_urls(self):
        report = self.admin_site.admin_view(self.report_view)
        return [path("<int:pk>/report/", report, name="etl_batch_report"), *super().get_urls()]

    def report_view(self, request, pk):
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        batch = get_object_or_404(self.get_queryset(request), pk=pk)
        response = HttpResponse(batch.error_report, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="batch-{pk}-problems.csv"'
        return response

    @admin.action(description="Roll back the selected batches", permissions=["rollback"])
    def roll_back(self, request, queryset):
        batches = list(queryset.order_by("-pk"))
        if request.POST.get("confirmed") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Roll back these batches?",
                "batches": batches,
                "queryset": queryset,
                "opts": self.opts,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/etl/batch/rollback_confirm.html", context)
        for batch in batches:  # newest first: later loads are undone first
            try:
                removed = rollback(batch, user=request.user)
            except ValueError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                continue
            self.message_user(request, f"Batch {batch.pk} rolled back: {removed} row(s) removed.")
        return None


@admin.register(UploadJob)
class UploadJobAdmin(admin.ModelAdmin):
    """Big uploads loading in the background: the page of one shows its
    progress bar, updated while the load runs, and then its batch."""

    list_display = [
        "source_name",
        "table",
        "status",
        "rows_done",
        "rows_total",
        "created_by",
        "created_at",
        "batch",
    ]
    list_filter = ["status", "table"]
    list_select_related = ["created_by", "batch"]
    readonly_fields = [f.name for f in UploadJob._meta.fields]
    change_form_template = "admin/etl/uploadjob/progress.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return own_unless_head_office(super().get_queryset(request), request.user)

    def get_urls(self):
        progress = self.admin_site.admin_view(self.progress_view)
        return [
            path("<int:pk>/progress.json", progress, name="etl_uploadjob_progress"),
            *super().get_urls(),
        ]

    def progress_view(self, request, pk):
        job = get_object_or_404(self.get_queryset(request), pk=pk)
        batch_url = reverse("admin:etl_batch_change", args=[job.batch_id]) if job.batch_id else ""
        return JsonResponse(
            {
                "status": job.status,
                "rows_done": job.rows_done,
                "rows_total": job.rows_total,
                "percent": job.percent(),
                "message": job.message,
                "batch_url": batch_url,
            }
        )
