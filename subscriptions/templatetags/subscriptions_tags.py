"""Template tags for the includes that report pages carry: the open
alerts of the user, the subscription frequencies."""

from django import template

from subscriptions.models import Alert, Subscription

register = template.Library()


@register.simple_tag
def open_alerts(user) -> list[Alert]:
    """The open alerts of the rules ``user`` owns."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Alert.objects.open().owned_by(user).select_related("rule", "rule__owner"))


@register.simple_tag
def frequencies():
    return Subscription.Frequency.choices
