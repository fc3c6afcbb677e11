"""The subscribe form on report pages and the alert rule form of the
admin; each says plainly what is wrong with what was sent."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.http import QueryDict
from django.urls import Resolver404, resolve

from reports import overview
from reports.catalog import BY_SLUG, REPORTS
from reports.cubes import FACTS, QueryError
from reports.pages import parse
from subscriptions.alerts import validate_rule
from subscriptions.models import OVERVIEW, AlertRule, Subscription

# What a page's address may carry that is not a filter of the page itself.
NOT_SAVED = {"format"}


def page_of(path: str, user) -> tuple[str, str]:
    """(report slug, query string) of a report page's address that ``user``
    may read; ValidationError otherwise."""
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        raise forms.ValidationError("Subscribe to a page of this site, not another address.")
    try:
        match = resolve(parts.path)
    except Resolver404:
        match = None
    if match is None or match.view_name != "reports:report":
        raise forms.ValidationError(f"{parts.path!r} is not a report page or the overview.")
    slug = match.kwargs["slug"]
    params = _filters(parts.query)
    try:
        _check_page(slug, params, user)
    except QueryError as exc:
        raise forms.ValidationError(f"This page cannot be subscribed to: {exc}.") from None
    return slug, params.urlencode()


def _filters(query: str) -> QueryDict:
    params = QueryDict(query, mutable=True)
    for key in list(params):
        values = [v for v in params.getlist(key) if v.strip()]
        if values and key not in NOT_SAVED:
            params.setlist(key, values)
        else:
            del params[key]
    return params


def _check_page(slug: str, params, user) -> None:
    if slug == OVERVIEW:
        if not user.has_perm("sales.view_saleline"):
            raise QueryError("you may not read the executive overview")
        overview.period_of(params)
        return
    report = BY_SLUG.get(slug)
    if report is None:
        raise QueryError(f"there is no report {slug!r}")
    if not user.has_perm(report.permission):
        raise QueryError(f"you may not read {report.title}")
    parse(report, params)


class SubscribeForm(forms.Form):
    path = forms.CharField(max_length=2000, help_text="The page with its filters.")
    frequency = forms.ChoiceField(choices=Subscription.Frequency.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_path(self):
        path = self.cleaned_data["path"]
        self.cleaned_data["report"], self.cleaned_data["query_string"] = page_of(path, self.user)
        return path

    def clean(self):
        cleaned = super().clean()
        if not self.user.email:
            raise forms.ValidationError(
                "Your account has no email address: ask an administrator to add one first."
            )
        return cleaned


class AlertRuleForm(forms.ModelForm):
    """The rule's names are checked against the semantic layer, so a typo
    in a measure or level is refused with the names there are."""

    fact = forms.ChoiceField(choices=[(name, name) for name in FACTS])
    report = forms.ChoiceField(
        choices=[("", "(the first report of the fact with these levels)")]
        + [(r.slug, f"{r.title} ({r.fact})") for r in REPORTS],
        required=False,
    )

    class Meta:
        model = AlertRule
        fields = [
            "name",
            "fact",
            "measure",
            "levels",
            "comparison",
            "threshold",
            "window_count",
            "window_unit",
            "filters",
            "report",
            "active",
        ]

    def __init__(self, *args, owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        rule = AlertRule(**{name: cleaned.get(name) for name in self.Meta.fields})
        try:
            validate_rule(rule, owner=self.owner)
        except QueryError as exc:
            raise forms.ValidationError(f"This rule cannot be checked: {exc}.") from None
        return cleaned
