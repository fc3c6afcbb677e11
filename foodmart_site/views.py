"""Site-wide views that belong to no business app."""

import logging

from django.contrib.auth.decorators import login_not_required
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import DatabaseError
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from foodmart_site import replica

logger = logging.getLogger(__name__)


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """Liveness and readiness for a load balancer or container: 200 when
    the primary database answers a query, 503 when it does not. The
    replica is reported but does not fail the check (reads fall back)."""
    checks = {"database": database_answers(DEFAULT_DB_ALIAS)}
    if replica.replica_configured():
        checks["replica"] = replica.read_alias() == replica.REPLICA_ALIAS
    status = 200 if checks["database"] else 503
    return JsonResponse({"status": "ok" if status == 200 else "fail", **checks}, status=status)


def database_answers(alias: str) -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError as error:
        logger.error("healthz: database %s does not answer: %s", alias, error)
        connections[alias].close()
        return False
