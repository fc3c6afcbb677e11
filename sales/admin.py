import datetime as dt

from django.contrib import admin
from django.db.models import DateField, Max, Min, Q, Value
from django.utils.text import smart_split, unescape_string_literal
from simple_history.admin import SimpleHistoryAdmin

from etl.admin_sheets import SheetAdmin
from inventory.models import Product
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


class ProbedDatesMixin:
    """``dates()`` for years and months by probing each candidate period
    between the first and last date (index look-ups) instead of truncating
    every row's date (a scan). The admin's date hierarchy above the sale
    lines asks for these: 150 ms on a million lines, 10 ms probed."""

    def dates(self, field_name, kind, order="ASC"):
        if kind not in ("year", "month"):
            return super().dates(field_name, kind, order)
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        if bounds["first"] is None:
            return []
        # One statement: a LIMIT 1 look-up per period, UNION ALL.
        probes = [
            self.filter(**{f"{field_name}__gte": start, f"{field_name}__lt": end})
            .order_by()
            .values_list(Value(start, output_field=DateField()))[:1]
            for start, end in periods(bounds["first"], bounds["last"], kind)
        ]
        found = sorted(day for (day,) in probes[0].union(*probes[1:], all=True))
        return found[::-1] if order == "DESC" else found


def periods(first: dt.date, last: dt.date, kind: str):
    """(start, next start) of each year or month from ``first`` to ``last``."""
    start = dt.date(first.year, 1 if kind == "year" else first.month, 1)
    while start <= last:
        if kind == "year":
            end = dt.date(start.year + 1, 1, 1)
        else:
            end = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
        yield start, end
        start = end


def with_probed_dates(queryset):
    cls = type(queryset)
    if not issubclass(cls, ProbedDatesMixin):
        cls = type(f"Probed{cls.__name__}", (ProbedDatesMixin, cls), {})
    clone = queryset._chain()
    clone.__class__ = cls
    return clone


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
    # What the search box finds; get_search_results does the finding.
    search_fields = ["product__product_name", "=customer__id", "=id"]
    list_select_related = ["store", "product", "customer", "promotion", "batch"]
    autocomplete_fields = ["product", "customer", "promotion", "store"]
    readonly_fields = ["batch"]
    # The exact count of a growing fact table is not worth a full scan.
    show_full_result_count = False

    def get_queryset(self, request):
        return with_probed_dates(super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        """Each word is part of a product's name, or a customer or line id.
        Names are looked up among the products first, then the lines by
        product id through their (product, date) index. Django's own search
        joins every line to its product and compares the ids as text: a
        full scan (1.3 s on a million lines, the slowest page under load)."""
        for bit in smart_split(search_term):
            if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
                bit = unescape_string_literal(bit)
            names = Product.objects.filter(product_name__icontains=bit)
            match = Q(product_id__in=list(names.values_list("pk", flat=True)))
            if bit.isdigit() and int(bit) < 2**63:
                match |= Q(customer_id=int(bit)) | Q(id=int(bit))
            queryset = queryset.filter(match)
        return queryset, False


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
