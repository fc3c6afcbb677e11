from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from etl.admin_sheets import SheetAdmin
from inventory.scoping import StoreScopedAdmin
from sales.models import Account, Customer, Expense, ExpenseCategory, Promotion, SaleLine


@admin.register(Promotion)
class PromotionAdmin(SheetAdmin, SimpleHistoryAdmin):
    list_display = ["promotion_name", "id", "media_type", "cost", "start_date", "end_date"]
    list_filter = ["media_type"]
    search_fields = ["promotion_name", "=id"]
    date_hierarchy = "start_date"


@admin.register(Customer)
class CustomerAdmin(SheetAdmin, SimpleHistoryAdmin):
    list_display = [
        "fullname",
        "account_num",
        "city",
        "state_province",
        "country",
        "member_card",
        "yearly_income",
        "date_accnt_opened",
    ]
    list_filter = ["country", "member_card", "gender", "marital_status", "yearly_income"]
    search_fields = ["lname", "fname", "fullname", "=account_num", "=id"]
    autocomplete_fields = ["customer_region"]
    date_hierarchy = "date_accnt_opened"


@admin.register(SaleLine)
class SaleLineAdmin(StoreScopedAdmin, SheetAdmin, admin.ModelAdmin):
    list_display = [
        "sale_date",
        "store",
        "product",
        "customer",
        "promotion",
        "unit_sales",
        "store_sales",
        "store_cost",
        "batch",
    ]
    list_filter = ["store", "promotion__media_type"]
    date_hierarchy = "sale_date"
    search_fields = ["product__product_name", "=customer__id", "=id"]
    list_select_related = ["store", "product", "customer", "promotion", "batch"]
    autocomplete_fields = ["product", "customer", "promotion", "store"]
    readonly_fields = ["batch"]
    # The exact count of a growing fact table is not worth a full scan.
    show_full_result_count = False


@admin.register(Account)
class AccountAdmin(SheetAdmin, SimpleHistoryAdmin):
    list_display = [
        "id",
        "account_description",
        "account_type",
        "account_rollup",
        "account_parent",
    ]
    list_filter = ["account_type"]
    list_select_related = ["account_parent"]
    search_fields = ["account_description", "=id"]


@admin.register(ExpenseCategory)
class ExpenseCategoryAdmin(SheetAdmin, admin.ModelAdmin):
    list_display = ["id", "category_description", "category_parent"]
    search_fields = ["id", "category_description"]


@admin.register(Expense)
class ExpenseAdmin(StoreScopedAdmin, SheetAdmin, SimpleHistoryAdmin):
    list_display = ["exp_date", "store", "account", "category", "amount", "currency", "batch"]
    list_filter = ["store", "account", "category", "currency"]
    date_hierarchy = "exp_date"
    list_select_related = ["store", "account", "category", "currency", "batch"]
    autocomplete_fields = ["store", "account", "category"]
    readonly_fields = ["batch"]
