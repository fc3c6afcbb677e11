"""python manage.py rollups check|rebuild|compact"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from reports.rollups import ROLLUPS, differences, rebuild


class Command(BaseCommand):
    help = (
        "check: compare each rollup with the sale lines; rebuild: recompute them (after a "
        "restore of an old dump, say); compact: VACUUM FULL ANALYZE them (after a bulk "
        "backfill left many dead row versions)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["check", "rebuild", "compact"])

    def handle(self, *args, action, **options):
        failed = 0
        for rollup in ROLLUPS:
            started = time.perf_counter()
            with connection.cursor() as cursor:
                if action == "check":
                    found = differences(rollup, cursor=cursor)
                    failed += found > 0
                    outcome = "exact" if not found else f"{found} rows differ"
                elif action == "rebuild":
                    with transaction.atomic():
                        outcome = f"{rebuild(rollup, cursor=cursor):,} rows"
                else:
                    cursor.execute(f"VACUUM (FULL, ANALYZE) {rollup.table}")
                    outcome = "compacted"
            self.stdout.write(
                f"{rollup.table:36} {outcome} ({time.perf_counter() - started:.1f} s)"
            )
        if failed:
            raise CommandError(f"{failed} rollup(s) differ from the sale lines: run rebuild")
