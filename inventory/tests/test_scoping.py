"""Per-store scoping: a store manager sees and changes only their store's
rows, through every admin door; head-office roles see every store."""

import pytest
from django.urls import reverse

from inventory.models import Delivery, Store, Warehouse
from inventory.scoping import store_ids_for
from people.models import Employee, PayrollLine, StoreAccess, User
from sales.models import Expense, SaleLine

pytestmark = pytest.mark.django_db

MANAGED = 6  # the demo manager's store
SCOPED = [Store, Warehouse, Delivery, Employee, PayrollLine, SaleLine, Expense]


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def in_store(model, store_id):
    return model.objects.filter(**{f"{model.store_path}": store_id})


@pytest.mark.parametrize(
    "username,expected",
    [("manager", {MANAGED}), ("hq", None), ("executive", None), ("admin", None)],
)
def test_store_ids_for_each_role(username, expected):
    assert store_ids_for(User.objects.get(username=username)) == expected


def test_a_user_without_store_or_role_sees_nothing():
    nobody = User.objects.create(username="nobody", is_staff=True)
    assert store_ids_for(nobody) == set()
    assert not SaleLine.objects.for_user(nobody).exists()


@pytest.mark.parametrize("model", SCOPED, ids=lambda m: m.__name__)
def test_manager_changelist_lists_only_their_store(model, admin_client_for):
    response = admin_client_for("manager").get(url(model, "changelist"))
    assert response.status_code == 200
    shown = response.context["cl"].queryset
    expected = in_store(model, MANAGED)
    assert shown.count() == expected.count()
    assert set(shown.values_list("pk", flat=True)[:500]) <= set(
        expected.values_list("pk", flat=True)
    )


@pytest.mark.parametrize("model", SCOPED, ids=lambda m: m.__name__)
def test_manager_gets_404_for_another_stores_row(model, admin_client_for):
    other = in_store(model, 7).order_by("pk").first()
    client = admin_client_for("manager")
    assert client.get(url(model, "change", other.pk)).status_code == 404
    assert client.post(url(model, "change", other.pk), {}).status_code == 404
    assert client.get(url(model, "history", other.pk)).status_code == 404


@pytest.mark.parametrize("model", SCOPED, ids=lambda m: m.__name__)
def test_manager_opens_their_own_row(model, admin_client_for):
    own = in_store(model, MANAGED).order_by("pk").first()
    assert admin_client_for("manager").get(url(model, "change", own.pk)).status_code == 200


@pytest.mark.parametrize("model", SCOPED, ids=lambda m: m.__name__)
def test_hq_sees_every_store(model, admin_client_for):
    response = admin_client_for("hq").get(url(model, "changelist"))
    assert response.context["cl"].queryset.count() == model.objects.count()


def test_manager_edits_a_staff_member_of_their_store(admin_client_for):
    employee = Employee.objects.filter(store_id=MANAGED).order_by("pk").first()
    client = admin_client_for("manager")
    form = client.get(url(Employee, "change", employee.pk)).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(last_name="Renamed", birth_date=employee.birth_date, hire_date=employee.hire_date)
    response = client.post(url(Employee, "change", employee.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    employee.refresh_from_db()
    assert employee.last_name == "Renamed"


def test_manager_cannot_move_a_staff_member_to_another_store(admin_client_for):
    employee = Employee.objects.filter(store_id=MANAGED).order_by("pk").first()
    client = admin_client_for("manager")
    form = client.get(url(Employee, "change", employee.pk)).context["adminform"].form
    assert set(form.fields["store"].queryset.values_list("pk", flat=True)) == {MANAGED}
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["store"] = 7
    response = client.post(url(Employee, "change", employee.pk), data)
    assert response.status_code == 200  # the form comes back with an error
    assert "store" in response.context["adminform"].form.errors
    employee.refresh_from_db()
    assert employee.store_id == MANAGED


def test_store_autocomplete_offers_only_the_managers_store(admin_client_for):
    response = admin_client_for("manager").get(
        reverse("admin:autocomplete"),
        {
            "term": "Store",
            "app_label": "inventory",
            "model_name": "delivery",
            "field_name": "store",
        },
    )
    assert [r["id"] for r in response.json()["results"]] == [str(MANAGED)]


def test_a_second_store_widens_the_scope():
    manager = User.objects.get(username="manager")
    StoreAccess.objects.create(user=manager, store_id=7)
    assert (
        SaleLine.objects.for_user(manager).count()
        == SaleLine.objects.filter(store_id__in=[6, 7]).count()
    )


def test_the_change_history_shows_who_changed_which_field(admin_client_for):
    employee = Employee.objects.filter(store_id=MANAGED).order_by("pk").first()
    client = admin_client_for("manager")
    for level in ("Graduate Degree", "Graduate Degree (MBA)"):
        form = client.get(url(Employee, "change", employee.pk)).context["adminform"].form
        data = {k: v for k, v in form.initial.items() if v is not None}
        data.update(education_level=level)
        assert client.post(url(Employee, "change", employee.pk), data).status_code == 302
    latest = employee.history.first()
    assert latest.history_user.username == "manager"
    assert latest.diff_against(latest.prev_record).changed_fields == ["education_level"]
    page = client.get(url(Employee, "history", employee.pk)).content.decode()
    assert "Graduate Degree (MBA)" in page and "manager" in page
