"""Users of the app, and the chain's staff and payroll."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from simple_history.models import HistoricalRecords

from foodmart_site.constraints import Gender, MaritalStatus, batch_field, non_negative, not_before
from inventory.models import MONEY, Currency, Store
from inventory.scoping import StoreScopedQuerySet


class User(AbstractUser):
    """A person who logs in. Kept plain so that it can grow later."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def managed_store_ids(self) -> list[int]:
        """Ids of the stores this user is assigned to (see StoreAccess)."""
        return list(self.store_accesses.values_list("store_id", flat=True))


class StoreAccess(models.Model):
    """Ties a user to a store they work for. Store managers get one row per
    store they manage; the per-store scoping reads only this table."""

    store_path = "store"

    class Role(models.TextChoices):
        MANAGER = "manager", "Store manager"
        CLERK = "clerk", "Clerk"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="store_accesses")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="accesses")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MANAGER)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        ordering = ["store", "user"]
        verbose_name_plural = "store accesses"
        constraints = [
            models.UniqueConstraint(fields=["user", "store"], name="storeaccess_once"),
            models.CheckConstraint(
                condition=models.Q(role__in=["manager", "clerk"]),
                name="storeaccess_role_known",
            ),
        ]

    def __str__(self):
        return f"{self.user} - {self.get_role_display()} of {self.store}"


class Department(models.Model):
    id = models.IntegerField(primary_key=True)
    department_description = models.CharField(max_length=60, unique=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.department_description


class Position(models.Model):
    class PayType(models.TextChoices):
        MONTHLY = "Monthly"
        HOURLY = "Hourly"

    id = models.IntegerField(primary_key=True)
    position_title = models.CharField(max_length=60, unique=True)
    pay_type = models.CharField(max_length=10, choices=PayType.choices)
    min_scale = models.DecimalField(**MONEY)
    max_scale = models.DecimalField(**MONEY)
    management_role = models.CharField(max_length=30)

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            *non_negative("position", "min_scale"),
            models.CheckConstraint(
                condition=models.Q(max_scale__gte=models.F("min_scale")),
                name="position_scale_ordered",
                violation_error_message="Maximum scale cannot be below the minimum.",
            ),
            models.CheckConstraint(
                condition=models.Q(pay_type__in=["Monthly", "Hourly"]),
                name="position_pay_type_known",
            ),
        ]

    def __str__(self):
        return self.position_title


class Employee(models.Model):
    """A member of staff. FoodMart's employee file repeats the position's
    title and management role; both are read from Position instead (the
    file's copy of the role is truncated: "Store Full Time Staf")."""

    store_path = "store"

    MaritalStatus = MaritalStatus
    Gender = Gender

    id = models.IntegerField(primary_key=True)
    full_name = models.CharField(max_length=120)
    first_name = models.CharField(max_length=60)
    last_name = models.CharField(max_length=60)
    position = models.ForeignKey(Position, on_delete=models.PROTECT)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="employees")
    department = models.ForeignKey(Department, on_delete=models.PROTECT)
    birth_date = models.DateField()
    hire_date = models.DateField()
    end_date = models.DateField(blank=True, null=True)
    salary = models.DecimalField(**MONEY)
    # FoodMart writes 0 for "no supervisor"; stored as NULL.
    supervisor = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    education_level = models.CharField(max_length=30)
    marital_status = models.CharField(max_length=1, choices=MaritalStatus.choices)
    gender = models.CharField(max_length=1, choices=Gender.choices)

    objects = StoreScopedQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [models.Index(fields=["last_name", "first_name"], name="employee_name_idx")]
        constraints = [
            *non_negative("employee", "salary"),
            not_before("employee", "end_date", "hire_date"),
            not_before("employee", "hire_date", "birth_date"),
            models.CheckConstraint(
                condition=~models.Q(supervisor=models.F("id")),
                name="employee_not_own_supervisor",
                violation_error_message="An employee cannot supervise themself.",
            ),
            models.CheckConstraint(
                condition=models.Q(marital_status__in=["M", "S"])
                & models.Q(gender__in=["F", "M"]),
                name="employee_codes_known",
            ),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.position})"


class PayrollLine(models.Model):
    """FoodMart's ``salary`` rows: one employee's pay for one month."""

    store_path = "employee__store"

    pay_date = models.DateField()
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="payroll")
    department = models.ForeignKey(Department, on_delete=models.PROTECT)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT)
    salary_paid = models.DecimalField(**MONEY)
    overtime_paid = models.DecimalField(**MONEY)
    vacation_accrued = models.DecimalField(max_digits=8, decimal_places=2)
    vacation_used = models.DecimalField(max_digits=8, decimal_places=2)
    batch = batch_field()

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-pay_date", "employee"]
        indexes = [models.Index(fields=["pay_date"], name="payroll_date_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "pay_date", "department"], name="payroll_one_per_month"
            ),
            *non_negative(
                "payrollline",
                "salary_paid",
                "overtime_paid",
                "vacation_accrued",
                "vacation_used",
            ),
        ]

    def __str__(self):
        return f"{self.employee.full_name} {self.pay_date}"
