"""python manage.py send_subscriptions [--now] [--dry-run]: run daily (cron
or a systemd timer, see README)."""

from django.core.management.base import BaseCommand

from subscriptions.services import send_subscriptions


class Command(BaseCommand):
    help = "Email the subscriptions that are due, each under its subscriber's store scope."

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="send every one, due or not")
        parser.add_argument("--dry-run", action="store_true", help="build them, send nothing")

    def handle(self, *args, now=False, dry_run=False, **options):
        outcomes = send_subscriptions(force=now, dry_run=dry_run)
        for outcome in outcomes:
            self.stdout.write(str(outcome))
        sent = sum(o.status in ("sent", "would send") for o in outcomes)
        verb = "would be sent" if dry_run else "sent"
        self.stdout.write(f"{sent} of {len(outcomes)} due subscriptions {verb}.")
