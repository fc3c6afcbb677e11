"""Alerts are checked after every committed load and rollback, as the
report cache is cleared (reports/cache.py): on the batch's last save."""

import logging

from django.apps import apps
from django.db import transaction
from django.db.models.signals import post_save

logger = logging.getLogger(__name__)


def _check_after_commit() -> None:
    from subscriptions.alerts import check_alerts

    counts = check_alerts()
    if counts.rules or counts.errors:
        logger.info("alerts checked after a load: %s", counts)


def _batch_finished(sender, instance, **kwargs) -> None:
    if instance.status in (instance.Status.DONE, instance.Status.ROLLED_BACK):
        # robust: a failing check is logged and never undoes the load.
        transaction.on_commit(_check_after_commit, robust=True)


def connect_signals() -> None:
    batch = apps.get_model("etl", "Batch")
    post_save.connect(_batch_finished, sender=batch, dispatch_uid="subscriptions-batch")
