from django.core.management.base import BaseCommand

from people.services import create_demo_users


class Command(BaseCommand):
    help = "Create or reset the demo users (one per role) and print their logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", help="Give every demo user this password (default: a random one each)."
        )

    def handle(self, *args, password=None, **options):
        users = create_demo_users(password=password)
        self.stdout.write("Demo logins (user, password, role):")
        for user in users:
            self.stdout.write(f"  {user.username:<10} {user.password:<14} {user.description}")
