from django.core.management.base import BaseCommand, CommandError

from etl.demo import GENERATED, load_sales_1998
from etl.pipeline import AlreadyLoaded, LoadFailed


class Command(BaseCommand):
    help = (
        "Demo only: load a generated first half of 1998 made from FoodMart's 1997 sale "
        "lines (one year later, sales scaled per store; see etl/demo.py), so that "
        "year-over-year figures have something to compare with."
    )

    def handle(self, *args, **options):
        try:
            batch = load_sales_1998()
        except AlreadyLoaded as exc:
            self.stdout.write(f"{GENERATED}: already loaded (batch {exc.batch.pk})")
            return
        except LoadFailed as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{GENERATED}: batch {batch.pk}, {batch.rows_inserted} sale lines")
