"""Small builders for what every app's models repeat: CHECK constraints,
the batch a fact row came with, and FoodMart's person codes."""

from django.db import models


def non_negative(model_name: str, *fields: str) -> list[models.CheckConstraint]:
    """One ``field >= 0`` CHECK per field (NULL passes, as in SQL)."""
    return [
        models.CheckConstraint(
            condition=models.Q(**{f"{field}__gte": 0}),
            name=f"{model_name}_{field}_not_negative",
            violation_error_message=f"{field.replace('_', ' ')} cannot be negative.",
        )
        for field in fields
    ]


def not_before(model_name: str, later: str, earlier: str) -> models.CheckConstraint:
    """``later >= earlier`` whenever both are set."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{later}__gte": models.F(earlier)})
        | models.Q(**{f"{later}__isnull": True})
        | models.Q(**{f"{earlier}__isnull": True}),
        name=f"{model_name}_{later}_not_before_{earlier}",
        violation_error_message=f"{later.replace('_', ' ')} cannot be before "
        f"{earlier.replace('_', ' ')}.",
    )


class MaritalStatus(models.TextChoices):
    MARRIED = "M", "Married"
    SINGLE = "S", "Single"


class Gender(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"


def batch_field(*, db_index: bool = True) -> models.ForeignKey:
    """The load (etl.Batch) a fact row came with; NULL for a row typed in
    the admin. Kept (PROTECT) while the batch's rows exist: a batch is
    undone by its rollback, which removes them first."""
    return models.ForeignKey(
        "etl.Batch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        db_index=db_index,
    )
