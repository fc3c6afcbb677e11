from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: backups and restores of the app's PostgreSQL."""

    name = "ops"
    verbose_name = "Operations"
