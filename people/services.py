"""Writes that span several people models."""

import secrets
from dataclasses import dataclass

from django.db import transaction

from inventory.models import Store
from people.models import StoreAccess, User
from people.roles import ANALYSTS, EXECUTIVES, HQ_STAFF, STORE_MANAGERS, sync_roles

DEMO_MANAGER_STORE_ID = 6


@dataclass(frozen=True)
class DemoUser:
    username: str
    group: str | None
    description: str
    password: str = ""


DEMO_USERS = [
    DemoUser("admin", None, "superuser: users, stores, everything"),
    DemoUser("hq", HQ_STAFF, "HQ staff: all business data"),
    DemoUser("executive", EXECUTIVES, "executive: reads everything"),
    DemoUser("analyst", ANALYSTS, "analyst: reads everything"),
    DemoUser("manager", STORE_MANAGERS, f"store manager of Store {DEMO_MANAGER_STORE_ID}"),
]


@transaction.atomic
def create_demo_users(*, password: str | None = None) -> list[DemoUser]:
    """Create or reset the demo users; return them with their passwords."""
    groups = sync_roles()
    created = []
    for demo in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=demo.username)
        user.is_staff = True
        user.is_superuser = demo.group is None
        user.email = f"{demo.username}@foodmart.example"
        chosen = password or secrets.token_urlsafe(9)
        user.set_password(chosen)
        user.save()
        user.groups.set([groups[demo.group]] if demo.group else [])
        created.append(DemoUser(demo.username, demo.group, demo.description, chosen))
    manager = User.objects.get(username="manager")
    store = Store.objects.filter(pk=DEMO_MANAGER_STORE_ID).first()
    manager.store_accesses.exclude(store=store).delete()
    if store:
        StoreAccess.objects.get_or_create(
            user=manager, store=store, defaults={"role": StoreAccess.Role.MANAGER}
        )
    return created
