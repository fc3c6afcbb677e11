"""Every rule put into the database is refused by the database itself.

Rows are changed with ``QuerySet.update``, which skips Django's own
validation, so only PostgreSQL stands between the bad value and the table.
Foreign keys are deferred by Django; ``SET CONSTRAINTS ALL IMMEDIATE``
makes PostgreSQL check them at once instead of at commit.
"""

import datetime as dt

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction

from etl.models import Batch, RowImage, UploadJob
from inventory.models import Delivery, Store
from people.models import StoreAccess, User
from sales.models import Promotion

pytestmark = pytest.mark.django_db

OUR_APPS = ["inventory", "people", "sales", "etl"]


def our_models():
    """The app's own tables (not django-simple-history's copies of them)."""
    return [
        m
        for app in OUR_APPS
        for m in apps.get_app_config(app).get_models()
        if not m.__name__.startswith("Historical")
    ]


def refused(model, pk, **values) -> bool:
    """True when PostgreSQL refuses to set ``values`` on row ``pk``."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            model.objects.filter(pk=pk).update(**values)
    except IntegrityError:
        return True
    return False


# Rows that cannot break some rules: promotion 0 ("No Promotion") has no dates.
SPECIAL_ROWS = {Promotion: {"pk": 0}}


def two_rows(model):
    rows = list(model.objects.exclude(**SPECIAL_ROWS.get(model, {})).order_by("pk")[:2])
    assert len(rows) == 2, f"need two {model.__name__} rows"
    return rows


@pytest.fixture
def accounts(db):
    """Rows for the tables that FoodMart does not fill."""
    a = User.objects.create(username="alice")
    b = User.objects.create(username="bob")
    StoreAccess.objects.create(user=a, store_id=6)
    StoreAccess.objects.create(user=b, store_id=7)
    batch = Batch.objects.create(
        table="t", source_name="x", sha256="a", mode="append", status="done"
    )
    RowImage.objects.create(batch=batch, key={"id": 1}, before=None)
    RowImage.objects.create(batch=batch, key={"id": 2}, before={"id": 2})
    for name in ("a.csv", "b.csv"):
        UploadJob.objects.create(
            table="sales_fact",
            source_name=name,
            path=f"/tmp/{name}",
            size=10,
            rows_total=1,
            batch=batch,
            created_by=a,
        )


# Check and multi-column unique constraints: name -> (model, bad values).
# Callables receive (row, other row) and return the values to set on row.
BAD_VALUES = {
    "store_store_type_known": {"store_type": "Hypermarket"},
    "store_store_sqft_not_negative": {"store_sqft": -1},
    "store_grocery_sqft_not_negative": {"grocery_sqft": -1},
    "store_frozen_sqft_not_negative": {"frozen_sqft": -1},
    "store_meat_sqft_not_negative": {"meat_sqft": -1},
    "store_last_remodel_date_not_before_first_opened_date": {
        "first_opened_date": dt.date(2000, 1, 1),
        "last_remodel_date": dt.date(1999, 1, 1),
    },
    "calendarday_parts_in_range": {"month_of_year": 13},
    "exchangerate_one_per_day": lambda r, o: {"currency": o.currency, "date": o.date},
    "exchangerate_ratio_positive": {"conversion_ratio": 0},
    "product_srp_not_negative": {"srp": -1},
    "product_gross_weight_not_negative": {"gross_weight": -1, "net_weight": -2},
    "product_net_weight_not_negative": {"net_weight": -1},
    "product_units_per_case_not_negative": {"units_per_case": -1},
    "product_cases_per_pallet_not_negative": {"cases_per_pallet": -1},
    "product_shelf_width_not_negative": {"shelf_width": -1},
    "product_shelf_height_not_negative": {"shelf_height": -1},
    "product_shelf_depth_not_negative": {"shelf_depth": -1},
    "product_net_weight_not_above_gross": lambda r, o: {"net_weight": r.gross_weight + 1},
    "delivery_units_ordered_not_negative": {"units_ordered": -1, "units_shipped": -2},
    "delivery_units_shipped_not_negative": {"units_shipped": -1},
    "delivery_warehouse_sales_not_negative": {"warehouse_sales": -1},
    "delivery_warehouse_cost_not_negative": {"warehouse_cost": -1},
    "delivery_supply_time_not_negative": {"supply_time": -1},
    "delivery_store_invoice_not_negative": {"store_invoice": -1},
    "delivery_shipped_not_above_ordered": lambda r, o: {"units_shipped": r.units_ordered + 1},
    "storeaccess_once": lambda r, o: {"user": o.user, "store": o.store},
    "storeaccess_role_known": {"role": "owner"},
    "position_min_scale_not_negative": {"min_scale": -1},
    "position_scale_ordered": lambda r, o: {"max_scale": r.min_scale - 1},
    "position_pay_type_known": {"pay_type": "Weekly"},
    "employee_salary_not_negative": {"salary": -1},
    "employee_end_date_not_before_hire_date": lambda r, o: {
        "end_date": r.hire_date - dt.timedelta(days=1)
    },
    "employee_hire_date_not_before_birth_date": lambda r, o: {
        "hire_date": r.birth_date - dt.timedelta(days=1)
    },
    "employee_not_own_supervisor": lambda r, o: {"supervisor": r},
    "employee_codes_known": {"gender": "X"},
    "payroll_one_per_month": lambda r, o: {
        "employee": o.employee,
        "pay_date": o.pay_date,
        "department": o.department,
    },
    "payrollline_salary_paid_not_negative": {"salary_paid": -1},
    "payrollline_overtime_paid_not_negative": {"overtime_paid": -1},
    "payrollline_vacation_accrued_not_negative": {"vacation_accrued": -1},
    "payrollline_vacation_used_not_negative": {"vacation_used": -1},
    "promotion_cost_not_negative": {"cost": -1},
    "promotion_end_date_not_before_start_date": lambda r, o: {
        "end_date": r.start_date - dt.timedelta(days=1)
    },
    "promotion_dates_both_or_neither": {"end_date": None},
    "customer_total_children_not_negative": {"total_children": -1, "num_children_at_home": -2},
    "customer_num_children_at_home_not_negative": {"num_children_at_home": -1},
    "customer_num_cars_owned_not_negative": {"num_cars_owned": -1},
    "customer_children_at_home_not_above_total": lambda r, o: {
        "num_children_at_home": r.total_children + 1
    },
    "customer_codes_known": {"marital_status": "W"},
    "saleline_store_sales_not_negative": {"store_sales": -1},
    "saleline_store_cost_not_negative": {"store_cost": -1},
    "saleline_unit_sales_not_negative": {"unit_sales": -1},
    "expense_one_per_store_account_month": lambda r, o: {
        "store": o.store,
        "account": o.account,
        "exp_date": o.exp_date,
        "category": o.category,
    },
    "expense_amount_not_negative": {"amount": -1},
    "batch_file_appended_once": "covered by test_a_file_is_appended_once_per_table",
    "batch_counts_not_negative": {"rows_read": -1},
    "batch_mode_known": {"mode": "merge"},
    "uploadjob_counts_not_negative": {"rows_done": -1},
}


def declared_constraints():
    return [(m, c) for m in our_models() for c in m._meta.constraints]


def test_every_declared_constraint_has_a_bad_row_here():
    names = {c.name for _, c in declared_constraints()}
    assert names == set(BAD_VALUES)


@pytest.mark.parametrize(
    "model,constraint",
    [(m, c) for m, c in declared_constraints() if not isinstance(BAD_VALUES[c.name], str)],
    ids=lambda x: getattr(x, "name", None) or x.__name__,
)
def test_database_refuses_a_row_that_breaks(model, constraint, accounts):
    row, other = two_rows(model)
    values = BAD_VALUES[constraint.name]
    values = values(row, other) if callable(values) else values
    assert refused(model, row.pk, **values)


def test_a_good_change_is_accepted(accounts):
    """The refusals above are about the values, not about updating at all."""
    store = Store.objects.get(pk=6)
    assert not refused(Store, store.pk, store_sqft=store.store_sqft + 1)
    delivery = Delivery.objects.first()
    assert not refused(Delivery, delivery.pk, units_shipped=delivery.units_ordered)


def test_a_file_is_appended_once_per_table(accounts):
    done = {"table": "t", "sha256": "a", "mode": "append", "status": "done"}
    with pytest.raises(IntegrityError), transaction.atomic():
        Batch.objects.create(source_name="again", **done)
    # A failed or rolled back attempt does not block a new load.
    Batch.objects.create(source_name="again", **{**done, "status": "failed"})


def required_fields():
    return [
        (m, f)
        for m in our_models()
        for f in m._meta.concrete_fields
        if not f.null and not f.primary_key and not isinstance(f, models.BooleanField)
    ]


@pytest.mark.parametrize(
    "model,field", required_fields(), ids=lambda x: getattr(x, "name", None) or x.__name__
)
def test_database_refuses_a_missing_required_value(model, field, accounts):
    row, _ = two_rows(model)
    assert refused(model, row.pk, **{field.attname: None})


def foreign_keys():
    return [(m, f) for m in our_models() for f in m._meta.concrete_fields if f.is_relation]


@pytest.mark.parametrize(
    "model,field", foreign_keys(), ids=lambda x: getattr(x, "name", None) or x.__name__
)
def test_database_refuses_a_reference_to_a_missing_row(model, field, accounts):
    row, _ = two_rows(model)
    missing = "NOPE" if isinstance(field.target_field, models.CharField) else 987654
    assert refused(model, row.pk, **{field.attname: missing})


def unique_fields():
    return [
        (m, f)
        for m in our_models()
        for f in m._meta.concrete_fields
        if f.unique and not f.primary_key
    ]


@pytest.mark.parametrize(
    "model,field", unique_fields(), ids=lambda x: getattr(x, "name", None) or x.__name__
)
def test_database_refuses_a_duplicate_of_a_unique_value(model, field, accounts):
    row, other = two_rows(model)
    assert refused(model, row.pk, **{field.attname: getattr(other, field.attname)})
