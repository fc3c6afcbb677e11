"""python manage.py fiscal_calendar [--start-month N]"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from reports import fiscal


class Command(BaseCommand):
    help = "Rebuild the 4-5-4 fiscal calendar's days (after FISCAL_YEAR_START_MONTH changes)."

    def add_arguments(self, parser):
        parser.add_argument("--start-month", type=int, help="default: FISCAL_YEAR_START_MONTH")

    def handle(self, *args, start_month=None, **options):
        month = start_month or fiscal.start_month()
        if not 1 <= month <= 12:
            raise CommandError(f"--start-month {month}: a month from 1 to 12")
        with transaction.atomic(), connection.cursor() as cursor:
            count = fiscal.fill(cursor, month)
        start = fiscal.year_end(1996, month) + dt.timedelta(days=1)
        self.stdout.write(
            f"{count} days from {fiscal.FIRST_YEAR} to {fiscal.LAST_YEAR}; FY1997 starts {start}"
        )
