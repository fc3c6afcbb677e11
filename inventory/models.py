"""The chain's shared dimensions (regions, stores, calendar, currencies) and
the supply side (warehouses, products, deliveries).

Every other app imports from here and never the other way round. Dimension
rows keep their FoodMart ids as primary keys, so files that refer to them
load as they are.
"""

from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from simple_history.models import HistoricalRecords

from foodmart_site.constraints import batch_field, non_negative, not_before
from inventory.scoping import StoreScopedQuerySet

MONEY = {"max_digits": 14, "decimal_places": 4}


class Region(models.Model):
    """A sales region and district; region 0 is FoodMart's "No Region"."""

    id = models.IntegerField(primary_key=True)
    sales_city = models.CharField(max_length=60)
    sales_state_province = models.CharField(max_length=60)
    sales_district = models.CharField(max_length=60)
    sales_region = models.CharField(max_length=60)
    sales_country = models.CharField(max_length=60)
    sales_district_id = models.IntegerField(db_index=True)

    class Meta:
        ordering = ["sales_country", "sales_region", "sales_district", "sales_city"]

    def __str__(self):
        return f"{self.sales_district} ({self.sales_region}, {self.sales_country})"


STORE_TYPES = [
    "HeadQuarters",
    "Supermarket",
    "Small Grocery",
    "Mid-Size Grocery",
    "Gourmet Supermarket",
    "Deluxe Supermarket",
]


class Store(models.Model):
    """A store of the chain; store 0 is the head office (HQ)."""

    store_path = "pk"

    id = models.IntegerField(primary_key=True)
    store_type = models.CharField(max_length=30, choices=[(t, t) for t in STORE_TYPES])
    region = models.ForeignKey(Region, on_delete=models.PROTECT)
    store_name = models.CharField(max_length=60, unique=True)
    store_number = models.IntegerField(unique=True)
    store_street_address = models.CharField(max_length=120)
    store_city = models.CharField(max_length=60)
    store_state = models.CharField(max_length=60)
    store_postal_code = models.CharField(max_length=20)
    store_country = models.CharField(max_length=60)
    store_manager = models.CharField(max_length=60, blank=True, null=True)
    store_phone = models.CharField(max_length=30, blank=True, null=True)
    store_fax = models.CharField(max_length=30, blank=True, null=True)
    first_opened_date = models.DateField(blank=True, null=True)
    last_remodel_date = models.DateField(blank=True, null=True)
    store_sqft = models.IntegerField(blank=True, null=True)
    grocery_sqft = models.IntegerField(blank=True, null=True)
    frozen_sqft = models.IntegerField(blank=True, null=True)
    meat_sqft = models.IntegerField(blank=True, null=True)
    coffee_bar = models.BooleanField(default=False)
    video_store = models.BooleanField(default=False)
    salad_bar = models.BooleanField(default=False)
    prepared_food = models.BooleanField(default=False)
    florist = models.BooleanField(default=False)

    objects = StoreScopedQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(store_type__in=STORE_TYPES),
                name="store_store_type_known",
                violation_error_message="Unknown store type.",
            ),
            # The area parts do not always add up to store_sqft in the
            # FoodMart data (stores 13 and 20), so only each part is checked.
            *non_negative("store", "store_sqft", "grocery_sqft", "frozen_sqft", "meat_sqft"),
            not_before("store", "last_remodel_date", "first_opened_date"),
        ]

    def __str__(self):
        return self.store_name


class CalendarDay(models.Model):
    """FoodMart's ``time_by_day``: resolves a file's ``time_id`` to a date."""

    id = models.IntegerField(primary_key=True, verbose_name="time id")
    the_date = models.DateField(unique=True)
    the_day = models.CharField(max_length=10)
    the_month = models.CharField(max_length=10)
    the_year = models.SmallIntegerField()
    day_of_month = models.SmallIntegerField()
    week_of_year = models.SmallIntegerField()
    month_of_year = models.SmallIntegerField()
    quarter = models.CharField(max_length=2)
    fiscal_period = models.CharField(max_length=10, blank=True, null=True)

    class Meta:
        ordering = ["the_date"]
        verbose_name = "calendar day"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(month_of_year__range=(1, 12))
                & models.Q(day_of_month__range=(1, 31))
                & models.Q(week_of_year__range=(1, 53))
                & models.Q(quarter__in=["Q1", "Q2", "Q3", "Q4"]),
                name="calendarday_parts_in_range",
                violation_error_message="Month, day, week or quarter out of range.",
            ),
        ]

    def __str__(self):
        return self.the_date.isoformat()


class Currency(models.Model):
    id = models.IntegerField(primary_key=True)
    currency = models.CharField(max_length=40, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "currencies"

    def __str__(self):
        return self.currency


class ExchangeRate(models.Model):
    """A currency's conversion ratio to USD from a date on (monthly here)."""

    currency = models.ForeignKey(Currency, on_delete=models.PROTECT)
    date = models.DateField()
    conversion_ratio = models.DecimalField(max_digits=14, decimal_places=6)

    class Meta:
        ordering = ["currency", "date"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "date"], name="exchangerate_one_per_day"),
            models.CheckConstraint(
                condition=models.Q(conversion_ratio__gt=0),
                name="exchangerate_ratio_positive",
                violation_error_message="A conversion ratio must be above zero.",
            ),
        ]

    def __str__(self):
        return f"{self.currency} {self.date}: {self.conversion_ratio}"


class WarehouseClass(models.Model):
    id = models.IntegerField(primary_key=True)
    description = models.CharField(max_length=60, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "warehouse classes"

    def __str__(self):
        return self.description


class Warehouse(models.Model):
    store_path = "store"

    id = models.IntegerField(primary_key=True)
    warehouse_class = models.ForeignKey(WarehouseClass, on_delete=models.PROTECT)
    # FoodMart calls this column stores_id: the store the warehouse serves.
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="warehouses")
    warehouse_name = models.CharField(max_length=60)
    wa_address1 = models.CharField("address", max_length=120)
    wa_address2 = models.CharField(max_length=120, blank=True, null=True)
    wa_address3 = models.CharField(max_length=120, blank=True, null=True)
    wa_address4 = models.CharField(max_length=120, blank=True, null=True)
    warehouse_city = models.CharField(max_length=60)
    warehouse_state_province = models.CharField(max_length=60)
    warehouse_postal_code = models.CharField(max_length=20)
    warehouse_country = models.CharField(max_length=60)
    warehouse_owner_name = models.CharField(max_length=60, blank=True, null=True)
    warehouse_phone = models.CharField(max_length=30, blank=True, null=True)
    warehouse_fax = models.CharField(max_length=30, blank=True, null=True)

    objects = StoreScopedQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.warehouse_name} ({self.warehouse_city})"


class ProductClass(models.Model):
    """One leaf of the product hierarchy:
    family > department > category > subcategory."""

    id = models.IntegerField(primary_key=True)
    product_subcategory = models.CharField(max_length=60)
    product_category = models.CharField(max_length=60)
    product_department = models.CharField(max_length=60)
    product_family = models.CharField(max_length=60)

    history = HistoricalRecords()

    class Meta:
        ordering = [
            "product_family",
            "product_department",
            "product_category",
            "product_subcategory",
        ]
        verbose_name_plural = "product classes"
        # Not unique: FoodMart has two classes for Non-Consumable > Household
        # > Cleaning Supplies > Cleaners, and products refer to both.
        indexes = [
            models.Index(
                fields=[
                    "product_family",
                    "product_department",
                    "product_category",
                    "product_subcategory",
                ],
                name="productclass_path_idx",
            )
        ]

    def __str__(self):
        return (
            f"{self.product_family} > {self.product_department} > "
            f"{self.product_category} > {self.product_subcategory}"
        )


class Product(models.Model):
    id = models.IntegerField(primary_key=True)
    product_class = models.ForeignKey(ProductClass, on_delete=models.PROTECT)
    brand_name = models.CharField(max_length=60, db_index=True)
    product_name = models.CharField(max_length=120)
    sku = models.CharField("SKU", max_length=20, unique=True)
    srp = models.DecimalField("SRP", max_digits=10, decimal_places=4)
    gross_weight = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    net_weight = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    recyclable_package = models.BooleanField(default=False)
    low_fat = models.BooleanField(default=False)
    units_per_case = models.SmallIntegerField(null=True, blank=True)
    cases_per_pallet = models.SmallIntegerField(null=True, blank=True)
    shelf_width = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    shelf_height = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    shelf_depth = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["product_name"]
        indexes = [models.Index(fields=["product_name"], name="product_name_idx")]
        constraints = [
            *non_negative(
                "product",
                "srp",
                "gross_weight",
                "net_weight",
                "units_per_case",
                "cases_per_pallet",
                "shelf_width",
                "shelf_height",
                "shelf_depth",
            ),
            models.CheckConstraint(
                condition=models.Q(net_weight__lte=models.F("gross_weight"))
                | models.Q(net_weight__isnull=True)
                | models.Q(gross_weight__isnull=True),
                name="product_net_weight_not_above_gross",
                violation_error_message="Net weight cannot exceed gross weight.",
            ),
        ]

    def __str__(self):
        return self.product_name


class Delivery(models.Model):
    """An inventory fact: a warehouse's shipment of one product to a store.

    The primary key in PostgreSQL is (id, delivery_date), set by migration,
    so that the table can be partitioned by month without a key change;
    Django addresses rows by ``id`` alone, which stays unique.
    """

    store_path = "store"

    id = models.BigAutoField(primary_key=True)
    # The (key, date) indexes below serve these keys too.
    product = models.ForeignKey(Product, on_delete=models.PROTECT, db_index=False)
    delivery_date = models.DateField()
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, db_index=False)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, db_index=False)
    units_ordered = models.IntegerField()
    units_shipped = models.IntegerField()
    warehouse_sales = models.DecimalField(**MONEY)
    warehouse_cost = models.DecimalField(**MONEY)
    supply_time = models.SmallIntegerField(help_text="Days from order to delivery.")
    store_invoice = models.DecimalField(**MONEY)
    # A batch's rows are written together, so they sit together on disk:
    # a BRIN index (below) finds them for a rollback at a fraction of a
    # B-tree's cost to build and keep.
    batch = batch_field(db_index=False)

    objects = StoreScopedQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-delivery_date", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["store", "delivery_date"], name="delivery_store_date_idx"),
            models.Index(fields=["product", "delivery_date"], name="delivery_product_date_idx"),
            models.Index(fields=["warehouse", "delivery_date"], name="delivery_wh_date_idx"),
            # A B-tree, not BRIN: the admin lists the latest rows first.
            models.Index(fields=["delivery_date"], name="delivery_date_idx"),
            BrinIndex(fields=["batch"], name="delivery_batch_brin"),
        ]
        constraints = [
            *non_negative(
                "delivery",
                "units_ordered",
                "units_shipped",
                "warehouse_sales",
                "warehouse_cost",
                "supply_time",
                "store_invoice",
            ),
            # Holds for all 11,352 FoodMart deliveries (checked before adding).
            models.CheckConstraint(
                condition=models.Q(units_shipped__lte=models.F("units_ordered")),
                name="delivery_shipped_not_above_ordered",
                violation_error_message="Units shipped cannot exceed units ordered.",
            ),
        ]

    def __str__(self):
        return f"{self.delivery_date} {self.product} -> {self.store}"
