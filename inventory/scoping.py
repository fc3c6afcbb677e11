"""Which stores' rows a user may see and change: the rule, written once.

Head-office roles (superusers, HQ staff, executives, analysts) work with
every store; anyone else works with the stores they are assigned to in
``people.StoreAccess`` (a store manager: their store). Every door asks
here: the admin (lists, change pages, foreign-key choices, autocomplete),
and, as they arrive, imports, exports and reports.

It lives in ``inventory``, the base app that owns Store, so that every app
can use it without importing upwards; ``StoreAccess`` is looked up lazily.
"""

from django.apps import apps
from django.db import models
from django.http import Http404

ALL_STORES_GROUPS = ("HQ staff", "Executives", "Analysts")


def store_ids_for(user) -> set[int] | None:
    """The ids of the stores ``user`` works with, or None for all stores."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    if user.is_superuser or user.groups.filter(name__in=ALL_STORES_GROUPS).exists():
        return None
    access = apps.get_model("people", "StoreAccess")
    return set(access.objects.filter(user=user).values_list("store_id", flat=True))


class StoreScopedQuerySet(models.QuerySet):
    """A queryset that can narrow itself to a user's stores. A model says
    how its rows reach a store with ``store_path`` ("store",
    "employee__store", or "pk" for Store itself)."""

    def for_user(self, user):
        ids = store_ids_for(user)
        if ids is None:
            return self
        return self.filter(**{f"{self.model.store_path}__in": ids})


class StoreScopedAdmin:
    """Admin mixin: lists, change pages and foreign-key choices (including
    autocomplete, which asks the related model's admin) narrowed to the
    user's stores; another store's row by URL is a 404. Fields named in
    ``unscoped_choices`` keep every choice (see EmployeeAdmin)."""

    unscoped_choices: tuple[str, ...] = ()

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} {object_id} among your stores.")
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if db_field.name not in self.unscoped_choices and issubclass(
            related._default_manager._queryset_class, StoreScopedQuerySet
        ):
            kwargs.setdefault("queryset", related._default_manager.for_user(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
