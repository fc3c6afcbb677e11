"""The four groups of people who use the app, and their model permissions.

Model permissions decide what a group may do; which rows (which stores) a
user may touch is the per-store scope's business, not this module's.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

STORE_MANAGERS = "Store managers"
HQ_STAFF = "HQ staff"
EXECUTIVES = "Executives"
ANALYSTS = "Analysts"

BUSINESS_APPS = ["inventory", "people", "sales", "etl"]
# User administration stays with superusers.
ACCOUNT_MODELS = ["user", "storeaccess"]
# What a store manager keeps up to date for their own store.
STORE_RECORDS = ["store", "employee", "delivery", "expense", "payrollline"]
STORE_RECORDS_ADDABLE = ["employee", "delivery", "expense"]


def _business(actions: list[str]) -> Q:
    return (
        Q(content_type__app_label__in=BUSINESS_APPS)
        & ~Q(content_type__model__in=ACCOUNT_MODELS)
        & Q(codename__regex=rf"^({'|'.join(actions)})_")
    )


def _models(action: str, models: list[str]) -> Q:
    return Q(content_type__app_label__in=BUSINESS_APPS) & Q(
        codename__in=[f"{action}_{m}" for m in models]
    )


ROLE_PERMISSIONS: dict[str, Q] = {
    STORE_MANAGERS: _business(["view"])
    | _models("change", STORE_RECORDS)
    | _models("add", STORE_RECORDS_ADDABLE),
    HQ_STAFF: _business(["view", "add", "change", "delete", "rollback"]),
    EXECUTIVES: _business(["view"]),
    ANALYSTS: _business(["view"]),
}


def sync_roles() -> dict[str, Group]:
    """Create the groups if needed and set exactly their permissions."""
    groups = {}
    for name, condition in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(Permission.objects.filter(condition))
        groups[name] = group
    return groups
