"""The demo users and what their groups let them do."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from people.models import StoreAccess, User
from people.roles import ANALYSTS, EXECUTIVES, HQ_STAFF, STORE_MANAGERS

pytestmark = pytest.mark.django_db


def test_demo_users_have_one_role_each():
    groups = {u.username: [g.name for g in u.groups.all()] for u in User.objects.all()}
    assert groups == {
        "admin": [],
        "hq": [HQ_STAFF],
        "executive": [EXECUTIVES],
        "analyst": [ANALYSTS],
        "manager": [STORE_MANAGERS],
    }
    assert User.objects.get(username="admin").is_superuser
    assert not User.objects.filter(is_superuser=True).exclude(username="admin").exists()


def test_manager_manages_store_6():
    access = StoreAccess.objects.get(user__username="manager")
    assert (access.store_id, access.role) == (6, StoreAccess.Role.MANAGER)


@pytest.mark.parametrize(
    "username,perm,allowed",
    [
        ("manager", "inventory.change_store", True),
        ("manager", "inventory.add_delivery", True),
        ("manager", "people.change_employee", True),
        ("manager", "sales.view_promotion", True),
        ("manager", "sales.change_promotion", False),
        ("manager", "inventory.change_product", False),
        ("manager", "people.change_user", False),
        ("hq", "sales.add_saleline", True),
        ("hq", "inventory.delete_product", True),
        ("hq", "etl.view_batch", True),
        ("hq", "people.change_user", False),
        ("hq", "people.add_storeaccess", False),
        ("executive", "sales.view_saleline", True),
        ("executive", "sales.change_saleline", False),
        ("analyst", "inventory.view_delivery", True),
        ("analyst", "inventory.change_delivery", False),
        ("analyst", "people.view_user", False),
    ],
)
def test_group_permissions(username, perm, allowed):
    assert User.objects.get(username=username).has_perm(perm) is allowed


def test_readers_cannot_open_a_change_form_for_writing(admin_client_for):
    client = admin_client_for("executive")
    url = reverse("admin:inventory_store_change", args=[6])
    response = client.post(url, {"store_name": "Hacked"})
    assert response.status_code == 403


def test_demo_users_command_resets_passwords(capsys):
    call_command("demo_users", "--password", "another-pass-1")
    out = capsys.readouterr().out
    assert "manager" in out and "another-pass-1" in out
    assert User.objects.get(username="hq").check_password("another-pass-1")


def test_demo_users_command_prints_random_passwords_by_default(capsys):
    call_command("demo_users")
    lines = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    for username, password, *_ in lines:
        assert User.objects.get(username=username).check_password(password)
    assert len({password for _, password, *_ in lines}) == 5


@pytest.mark.parametrize(
    "username,shown,hidden",
    [
        (
            "manager",
            ["Store managers", "Store 6", "Staff", "Upload expenses"],
            ["Upload sale lines"],
        ),
        ("hq", ["HQ staff", "every store", "Upload sale lines", "Import batches"], []),
        ("executive", ["Executives", "every store", "Sale lines, by day"], ["Upload", "Staff"]),
    ],
)
def test_the_index_shows_each_role_its_work(username, shown, hidden, admin_client_for):
    page = admin_client_for(username).get(reverse("admin:index")).content.decode()
    panel = page[page.index('id="your-work"') :][:3000]
    for text in shown:
        assert text in panel
    for text in hidden:
        assert text not in panel
