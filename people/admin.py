from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from etl.admin_sheets import SheetAdmin
from inventory.scoping import StoreScopedAdmin
from people.models import Department, Employee, PayrollLine, Position, StoreAccess, User


class StoreAccessInline(admin.TabularInline):
    model = StoreAccess
    extra = 0
    autocomplete_fields = ["store"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [StoreAccessInline]
    list_display = ["username", "email", "first_name", "last_name", "groups_list", "is_staff"]
    list_filter = [*BaseUserAdmin.list_filter, "store_accesses__store"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="groups")
    def groups_list(self, obj):
        return ", ".join(g.name for g in obj.groups.all())


@admin.register(StoreAccess)
class StoreAccessAdmin(StoreScopedAdmin, admin.ModelAdmin):
    list_display = ["user", "store", "role"]
    list_filter = ["role", "store"]
    list_select_related = ["user", "store"]
    autocomplete_fields = ["user", "store"]
    search_fields = ["user__username", "store__store_name"]


@admin.register(Department)
class DepartmentAdmin(SheetAdmin, SimpleHistoryAdmin):
    list_display = ["id", "department_description"]
    search_fields = ["department_description"]


@admin.register(Position)
class PositionAdmin(SheetAdmin, SimpleHistoryAdmin):
    list_display = [
        "id",
        "position_title",
        "pay_type",
        "min_scale",
        "max_scale",
        "management_role",
    ]
    list_filter = ["pay_type", "management_role"]
    search_fields = ["position_title"]


@admin.register(Employee)
class EmployeeAdmin(StoreScopedAdmin, SheetAdmin, SimpleHistoryAdmin):
    list_display = [
        "full_name",
        "position",
        "department",
        "store",
        "hire_date",
        "end_date",
        "salary",
        "supervisor",
    ]
    list_filter = ["store", "department", "position__management_role", "gender"]
    search_fields = ["full_name", "first_name", "last_name", "=id"]
    list_select_related = ["position", "department", "store", "supervisor__position"]
    autocomplete_fields = ["position", "department", "store", "supervisor"]
    date_hierarchy = "hire_date"
    # A store's staff report to people elsewhere (store managers to HQ).
    unscoped_choices = ("supervisor",)


@admin.register(PayrollLine)
class PayrollLineAdmin(StoreScopedAdmin, SheetAdmin, admin.ModelAdmin):
    list_display = [
        "pay_date",
        "employee_name",
        "department",
        "salary_paid",
        "overtime_paid",
        "currency",
        "batch",
    ]
    list_filter = ["department", "currency", "employee__store"]
    date_hierarchy = "pay_date"
    search_fields = ["employee__full_name", "=employee__id"]
    list_select_related = ["employee", "department", "currency", "batch"]
    autocomplete_fields = ["employee", "department"]
    readonly_fields = ["batch"]
    show_full_result_count = False

    @admin.display(ordering="employee__full_name", description="employee")
    def employee_name(self, obj):
        return obj.employee.full_name
