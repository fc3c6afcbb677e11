"""The selling side: promotions, customers, sale lines, and store expenses
with their chart of accounts."""

from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from simple_history.models import HistoricalRecords

from foodmart_site.constraints import Gender, MaritalStatus, batch_field, non_negative, not_before
from inventory.models import MONEY, Currency, Product, Region, Store
from inventory.scoping import StoreScopedQuerySet


class Promotion(models.Model):
    """Promotion 0 is FoodMart's "No Promotion" (no dates, no cost)."""

    id = models.IntegerField(primary_key=True)
    # Not a foreign key: FoodMart's district ids 121 and 130 have no region,
    # and region.sales_district_id is not unique.
    promotion_district_id = models.IntegerField()
    promotion_name = models.CharField(max_length=60)
    media_type = models.CharField(max_length=40)
    cost = models.DecimalField(**MONEY)
    start_date = models.DateField(blank=True, null=True)
    end_date = models.DateField(blank=True, null=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date", "id"]
        indexes = [models.Index(fields=["start_date", "end_date"], name="promotion_dates_idx")]
        constraints = [
            *non_negative("promotion", "cost"),
            not_before("promotion", "end_date", "start_date"),
            models.CheckConstraint(
                condition=models.Q(start_date__isnull=True, end_date__isnull=True)
                | models.Q(start_date__isnull=False, end_date__isnull=False),
                name="promotion_dates_both_or_neither",
                violation_error_message="A promotion needs both a start and an end date.",
            ),
        ]

    def __str__(self):
        return f"{self.promotion_name} #{self.id}"


class Customer(models.Model):
    MaritalStatus = MaritalStatus
    Gender = Gender

    id = models.IntegerField(primary_key=True)
    account_num = models.CharField(max_length=20, unique=True)
    lname = models.CharField("last name", max_length=60)
    fname = models.CharField("first name", max_length=60)
    mi = models.CharField("middle initial", max_length=10, blank=True, null=True)
    address1 = models.CharField(max_length=120)
    address2 = models.CharField(max_length=120, blank=True, null=True)
    address3 = models.CharField(max_length=120, blank=True, null=True)
    address4 = models.CharField(max_length=120, blank=True, null=True)
    city = models.CharField(max_length=60)
    state_province = models.CharField(max_length=60)
    postal_code = models.CharField(max_length=20)
    country = models.CharField(max_length=60)
    customer_region = models.ForeignKey(Region, on_delete=models.PROTECT)
    phone1 = models.CharField(max_length=30)
    phone2 = models.CharField(max_length=30, blank=True, null=True)
    birthdate = models.DateField()
    marital_status = models.CharField(max_length=1, choices=MaritalStatus.choices)
    # Kept as FoodMart's text band ("$30K - $50K"): it is a report level.
    yearly_income = models.CharField(max_length=20)
    gender = models.CharField(max_length=1, choices=Gender.choices)
    total_children = models.SmallIntegerField()
    num_children_at_home = models.SmallIntegerField()
    education = models.CharField(max_length=30)
    date_accnt_opened = models.DateField()
    member_card = models.CharField(max_length=20)
    occupation = models.CharField(max_length=30)
    houseowner = models.BooleanField()
    num_cars_owned = models.SmallIntegerField()
    fullname = models.CharField(max_length=120)

    history = HistoricalRecords()

    class Meta:
        ordering = ["lname", "fname", "id"]
        indexes = [
            models.Index(fields=["lname", "fname"], name="customer_name_idx"),
            models.Index(fields=["country", "state_province", "city"], name="customer_geo_idx"),
        ]
        constraints = [
            *non_negative("customer", "total_children", "num_children_at_home", "num_cars_owned"),
            models.CheckConstraint(
                condition=models.Q(num_children_at_home__lte=models.F("total_children")),
                name="customer_children_at_home_not_above_total",
                violation_error_message="Children at home cannot exceed total children.",
            ),
            models.CheckConstraint(
                condition=models.Q(marital_status__in=["M", "S"])
                & models.Q(gender__in=["F", "M"]),
                name="customer_codes_known",
            ),
        ]

    def __str__(self):
        return f"{self.fullname} ({self.account_num})"


class SaleLine(models.Model):
    """One product sold to one customer at one store on one day.

    The PostgreSQL primary key is (id, sale_date), set by migration, ready
    for monthly partitions; Django addresses rows by ``id``, still unique.
    FoodMart has no receipt id and 8 pairs of lines with the same product,
    day, customer, promotion and store, so there is no natural unique key.
    """

    store_path = "store"

    id = models.BigAutoField(primary_key=True)
    # The (key, date) indexes below serve these keys too; a second index
    # per key would only slow loads down.
    product = models.ForeignKey(Product, on_delete=models.PROTECT, db_index=False)
    sale_date = models.DateField()
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, db_index=False)
    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, db_index=False)
    store_sales = models.DecimalField(**MONEY)
    store_cost = models.DecimalField(**MONEY)
    unit_sales = models.DecimalField(max_digits=10, decimal_places=4)
    # A batch's rows are written together, so they sit together on disk:
    # a BRIN index (below) finds them for a rollback at a fraction of a
    # B-tree's cost to build and keep.
    batch = batch_field(db_index=False)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-sale_date", "-id"]
        indexes = [
            models.Index(fields=["store", "sale_date"], name="saleline_store_date_idx"),
            models.Index(fields=["product", "sale_date"], name="saleline_product_date_idx"),
            models.Index(fields=["customer", "sale_date"], name="saleline_customer_date_idx"),
            # A B-tree, not BRIN: the admin lists the latest rows first.
            models.Index(fields=["sale_date"], name="saleline_date_idx"),
            BrinIndex(fields=["batch"], name="saleline_batch_brin"),
        ]
        constraints = [
            *non_negative("saleline", "store_sales", "store_cost", "unit_sales"),
        ]

    def __str__(self):
        return f"{self.sale_date} {self.product} x {self.unit_sales}"


class Account(models.Model):
    """Chart of accounts for store expenses (a tree through ``parent``)."""

    id = models.IntegerField(primary_key=True)
    account_parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    account_description = models.CharField(max_length=60)
    account_type = models.CharField(max_length=30)
    account_rollup = models.CharField(max_length=5)
    custom_members = models.TextField(blank=True, null=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.id} {self.account_description}"


class ExpenseCategory(models.Model):
    """Budget category of an expense line: ACTUAL, BUDGET, FORECAST..."""

    id = models.CharField(primary_key=True, max_length=20)
    category_parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    category_description = models.CharField(max_length=60)
    category_rollup = models.CharField(max_length=5, blank=True, null=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "expense categories"

    def __str__(self):
        return self.category_description


class Expense(models.Model):
    """A store's expense for one account and month (FoodMart expense_fact)."""

    store_path = "store"

    store = models.ForeignKey(Store, on_delete=models.PROTECT)
    account = models.ForeignKey(Account, on_delete=models.PROTECT)
    exp_date = models.DateField()
    category = models.ForeignKey(ExpenseCategory, on_delete=models.PROTECT)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT)
    amount = models.DecimalField(**MONEY)
    batch = batch_field()

    objects = StoreScopedQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-exp_date", "store", "account"]
        indexes = [models.Index(fields=["store", "exp_date"], name="expense_store_date_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "account", "exp_date", "category"],
                name="expense_one_per_store_account_month",
            ),
            *non_negative("expense", "amount"),
        ]

    def __str__(self):
        return f"{self.store} {self.account} {self.exp_date}: {self.amount}"
