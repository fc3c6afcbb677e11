"""The admin index's "Your work" panel: what this user's role can do."""

from django import template
from django.urls import reverse

from etl.models import Batch
from inventory.models import Store
from inventory.scoping import store_ids_for
from workbench.access import may_use_workbench

register = template.Library()

# (label, admin url name, permission, query string)
TASKS = [
    ("Your store's details", "inventory_store_changelist", "inventory.change_store", ""),
    ("Staff", "people_employee_changelist", "people.change_employee", ""),
    ("Deliveries received", "inventory_delivery_changelist", "inventory.change_delivery", ""),
    ("Store expenses", "sales_expense_changelist", "sales.change_expense", ""),
    ("Upload sale lines", "sales_saleline_import", "sales.add_saleline", ""),
    ("Upload deliveries", "inventory_delivery_import", "inventory.add_delivery", ""),
    ("Upload expenses", "sales_expense_import", "sales.add_expense", ""),
    ("Upload products", "inventory_product_import", "inventory.add_product", ""),
    ("Import batches (and rollback)", "etl_batch_changelist", "etl.rollback_batch", ""),
    ("Sale lines, by day", "sales_saleline_changelist", "sales.view_saleline", ""),
    ("Customers", "sales_customer_changelist", "sales.view_customer", ""),
    ("Products", "inventory_product_changelist", "inventory.view_product", ""),
]


def role_of(user) -> str:
    if user.is_superuser:
        return "Administrator"
    names = [g.name for g in user.groups.all()]
    return ", ".join(names) or "No role yet: ask an administrator"


@register.inclusion_tag("admin/your_work.html", takes_context=True)
def your_work(context):
    user = context["request"].user
    ids = store_ids_for(user)
    stores = (
        "every store"
        if ids is None
        else ", ".join(Store.objects.filter(pk__in=ids).values_list("store_name", flat=True))
        or "no store"
    )
    links = [
        (label, reverse(f"admin:{name}") + query)
        for label, name, perm, query in TASKS
        if user.has_perm(perm)
    ]
    if may_use_workbench(user):
        links.append(("SQL workbench", reverse("explorer_index")))
    batches = Batch.objects.select_related("created_by")
    if ids is not None:
        batches = batches.filter(created_by=user)
    return {
        "role": role_of(user),
        "stores": stores,
        "links": links,
        "batches": batches[:5] if user.has_perm("etl.view_batch") else [],
    }
