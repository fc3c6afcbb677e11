"""python manage.py check_alerts: what every load does on its own."""

from django.core.management.base import BaseCommand

from subscriptions.alerts import check_alerts


class Command(BaseCommand):
    help = "Evaluate every alert rule: raise the alerts that hold, clear the others."

    def handle(self, *args, **options):
        self.stdout.write(str(check_alerts()) + ".")
