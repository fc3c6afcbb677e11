"""Each staff user manages their own subscriptions, alert rules and
alerts here (superusers see everyone's). No model permission is needed:
the rows are the user's own, whatever their role."""

from django.contrib import admin, messages
from django.utils.html import format_html

from subscriptions.alerts import check_alerts, check_saved_rule
from subscriptions.forms import AlertRuleForm
from subscriptions.models import Alert, AlertRule, Subscription
from subscriptions.services import send_subscriptions


class OwnRowsAdmin(admin.ModelAdmin):
    owner_path = "user"

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        return rows.filter(**{self.owner_path: request.user})

    def _owns(self, request, obj) -> bool:
        if not (request.user.is_active and request.user.is_staff):
            return False
        return obj is None or request.user.is_superuser or self._owner(obj) == request.user

    def _owner(self, obj):
        for part in self.owner_path.split("__"):
            obj = getattr(obj, part)
        return obj

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self._owns(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._owns(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._owns(request, obj)


@admin.register(Subscription)
class SubscriptionAdmin(OwnRowsAdmin):
    list_display = ["page", "frequency", "last_sent", "user"]
    list_editable = ["frequency"]
    list_filter = ["frequency", "report"]
    list_select_related = ["user"]
    fields = ["user", "report", "query_string", "frequency", "last_sent", "created_at"]
    readonly_fields = ["user", "report", "query_string", "last_sent", "created_at"]
    actions = ["send_now"]

    def has_add_permission(self, request):
        return False  # from a report page's Subscribe button

    @admin.display(description="page")
    def page(self, obj):
        return format_html('<a href="{}">{}</a>', obj.path, obj.path)

    @admin.action(description="Send the selected subscriptions now")
    def send_now(self, request, queryset):
        for outcome in send_subscriptions(force=True, queryset=queryset):
            level = messages.SUCCESS if outcome.status == "sent" else messages.WARNING
            self.message_user(request, str(outcome), level)


@admin.register(AlertRule)
class AlertRuleAdmin(OwnRowsAdmin):
    owner_path = "owner"
    form = AlertRuleForm
    list_display = ["name", "description", "open_alerts", "active", "owner"]
    list_filter = ["active", "fact"]
    list_select_related = ["owner"]
    actions = ["check_now"]

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class WithOwner(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, owner=obj.owner if obj else request.user, **kw)

        return WithOwner

    def save_model(self, request, obj, form, change):
        if not change:
            obj.owner = request.user
        super().save_model(request, obj, form, change)
        counts = check_saved_rule(obj)
        self.message_user(request, f"Checked now: {counts.open} alerts open.")

    @admin.display(description="rule")
    def description(self, obj):
        return obj.describe()

    @admin.display(description="open alerts")
    def open_alerts(self, obj):
        return obj.alerts.open().count()

    @admin.action(description="Check every rule now")
    def check_now(self, request, queryset):
        self.message_user(request, str(check_alerts()))


@admin.register(Alert)
class AlertAdmin(OwnRowsAdmin):
    owner_path = "rule__owner"
    list_display = [
        "rule",
        "group",
        "shown_value",
        "window_from",
        "window_to",
        "raised_at",
        "cleared_at",
        "links",
    ]
    list_filter = [
        ("cleared_at", admin.EmptyFieldListFilter),
        ("rule", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["rule", "rule__owner"]
    date_hierarchy = "raised_at"

    def has_add_permission(self, request):
        return False  # raised by check_alerts only

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="links")
    def links(self, obj):
        admin_url = obj.admin_url
        if admin_url is None:
            return format_html('<a href="{}">report</a>', obj.report_url)
        return format_html(
            '<a href="{}">report</a> · <a href="{}">rows</a>', obj.report_url, admin_url
        )
