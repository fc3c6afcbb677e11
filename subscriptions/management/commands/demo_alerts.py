"""python manage.py demo_alerts: the demo's alert rules and subscriptions,
then a first check of the rules (make demo runs it)."""

from django.core.management.base import BaseCommand

from subscriptions.alerts import check_alerts
from subscriptions.demo import create_demo_rules, create_demo_subscriptions, lift_measure
from subscriptions.models import Alert


class Command(BaseCommand):
    help = "Create the demo alert rules (the executive's) and subscriptions; check the rules."

    def handle(self, *args, **options):
        rules, skipped = create_demo_rules()
        if not lift_measure():
            skipped.append("Promotion lift below 0: the layer has no lift measure yet")
        for reason in skipped:
            self.stdout.write(f"skipped: {reason}")
        subscriptions = create_demo_subscriptions()
        self.stdout.write(f"{len(rules)} rules, {len(subscriptions)} subscriptions.")
        self.stdout.write(str(check_alerts()) + ".")
        for rule in rules:
            for alert in Alert.objects.open().filter(rule=rule):
                self.stdout.write(f"  {rule.name}: {alert.group} at {alert.shown_value}")
