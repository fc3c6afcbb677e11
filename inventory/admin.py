from urllib.parse import urlencode

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join
from simple_history.admin import SimpleHistoryAdmin

from etl.admin_sheets import SheetAdmin
from inventory.models import (
    CalendarDay,
    Currency,
    Delivery,
    ExchangeRate,
    Product,
    ProductClass,
    Region,
    Store,
    Warehouse,
    WarehouseClass,
)
from inventory.scoping import StoreScopedAdmin


def report_links(obj, filters: dict, reports: list[tuple[str, str]]):
    """Links from a record's page to the report pages filtered to it."""
    if obj.pk is None:
        return "-"
    query = "?" + urlencode(filters)
    return format_html_join(
        " · ",
        '<a href="{}">{}</a>',
        [(reverse("reports:report", args=[slug]) + query, title) for slug, title in reports],
    )


@admin.register(Region)
class RegionAdmin(SheetAdmin, admin.ModelAdmin):
    list_display = [
        "id",
        "sales_district",
        "sales_city",
        "sales_state_province",
        "sales_region",
        "sales_country",
    ]
    list_filter = ["sales_country", "sales_region"]
    search_fields = ["sales_city", "sales_district", "sales_state_province", "sales_region"]


@admin.register(Store)
class StoreAdmin(StoreScopedAdmin, SheetAdmin, SimpleHistoryAdmin):
    list_display = [
        "store_name",
        "store_type",
        "store_city",
        "store_state",
        "store_country",
        "store_sqft",
        "first_opened_date",
        "store_manager",
    ]
    list_filter = ["store_type", "store_country", "store_state", "coffee_bar", "florist"]
    search_fields = ["store_name", "store_city", "store_state", "store_manager"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]
    readonly_fields = ["reports"]
    fieldsets = [
        (None, {"fields": ["id", "store_name", "store_number", "store_type", "region"]}),
        (
            "Address and contact",
            {
                "fields": [
                    "store_street_address",
                    "store_city",
                    "store_state",
                    "store_postal_code",
                    "store_country",
                    "store_manager",
                    "store_phone",
                    "store_fax",
                ]
            },
        ),
        (
            "Building",
            {
                "fields": [
                    "first_opened_date",
                    "last_remodel_date",
                    "store_sqft",
                    "grocery_sqft",
                    "frozen_sqft",
                    "meat_sqft",
                ]
            },
        ),
        (
            "Features",
            {"fields": ["coffee_bar", "video_store", "salad_bar", "prepared_food", "florist"]},
        ),
        ("Reports", {"fields": ["reports"]}),
    ]

    @admin.display(description="Reports on this store")
    def reports(self, obj):
        return report_links(
            obj,
            {"store_name": obj.store_name},
            [
                ("sales-over-time", "Sales over time"),
                ("products", "Products"),
                ("deliveries", "Deliveries"),
                ("staff", "Staff and payroll"),
                ("expenses", "Expenses and profit"),
            ],
        )


@admin.register(CalendarDay)
class CalendarDayAdmin(SheetAdmin, admin.ModelAdmin):
    list_display = ["the_date", "id", "the_day", "week_of_year", "quarter", "the_year"]
    list_filter = ["the_year", "quarter", "the_month"]
    date_hierarchy = "the_date"
    search_fields = ["=id"]


class ExchangeRateInline(admin.TabularInline):
    model = ExchangeRate
    extra = 0


@admin.register(Currency)
class CurrencyAdmin(SheetAdmin, admin.ModelAdmin):
    list_display = ["id", "currency"]
    search_fields = ["currency"]
    inlines = [ExchangeRateInline]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(SheetAdmin, admin.ModelAdmin):
    list_display = ["currency", "date", "conversion_ratio"]
    list_filter = ["currency"]
    list_select_related = ["currency"]
    date_hierarchy = "date"


@admin.register(WarehouseClass)
class WarehouseClassAdmin(SheetAdmin, admin.ModelAdmin):
    list_display = ["id", "description"]
    search_fields = ["description"]


@admin.register(Warehouse)
class WarehouseAdmin(StoreScopedAdmin, SheetAdmin, SimpleHistoryAdmin):
    list_display = [
        "warehouse_name",
        "warehouse_class",
        "store",
        "warehouse_city",
        "warehouse_state_province",
        "warehouse_country",
    ]
    list_filter = ["warehouse_class", "warehouse_country"]
    search_fields = ["warehouse_name", "warehouse_city"]
    list_select_related = ["warehouse_class", "store"]
    autocomplete_fields = ["store"]


@admin.register(ProductClass)
class ProductClassAdmin(SheetAdmin, SimpleHistoryAdmin):
    list_display = [
        "id",
        "product_family",
        "product_department",
        "product_category",
        "product_subcategory",
    ]
    list_filter = ["product_family", "product_department"]
    search_fields = ["product_department", "product_category", "product_subcategory"]


@admin.register(Product)
class ProductAdmin(SheetAdmin, SimpleHistoryAdmin):
    list_display = [
        "product_name",
        "brand_name",
        "sku",
        "srp",
        "family",
        "department",
        "category",
        "low_fat",
        "recyclable_package",
    ]
    list_filter = [
        "product_class__product_family",
        "product_class__product_department",
        "low_fat",
        "recyclable_package",
    ]
    search_fields = ["product_name", "brand_name", "=sku", "=id"]
    list_select_related = ["product_class"]
    autocomplete_fields = ["product_class"]
    readonly_fields = ["reports"]

    @admin.display(description="Reports on this product")
    def reports(self, obj):
        return report_links(
            obj,
            {"product_name": obj.product_name},
            [("sales-over-time", "Sales over time"), ("deliveries", "Deliveries")],
        )

    @admin.display(ordering="product_class__product_family")
    def family(self, obj):
        return obj.product_class.product_family

    @admin.display(ordering="product_class__product_department")
    def department(self, obj):
        return obj.product_class.product_department

    @admin.display(ordering="product_class__product_category")
    def category(self, obj):
        return obj.product_class.product_category


@admin.register(Delivery)
class DeliveryAdmin(StoreScopedAdmin, SheetAdmin, SimpleHistoryAdmin):
    list_display = [
        "delivery_date",
        "store",
        "warehouse",
        "product",
        "units_ordered",
        "units_shipped",
        "supply_time",
        "store_invoice",
        "batch",
    ]
    list_filter = ["store", "warehouse__warehouse_class", "supply_time"]
    date_hierarchy = "delivery_date"
    search_fields = ["product__product_name", "warehouse__warehouse_name", "=id"]
    list_select_related = ["store", "warehouse", "product", "batch"]
    autocomplete_fields = ["product", "warehouse", "store"]
    readonly_fields = ["batch"]
    show_full_result_count = False
