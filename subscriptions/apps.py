from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscriptions and alerts"

    def ready(self):
        from subscriptions.signals import connect_signals

        connect_signals()
