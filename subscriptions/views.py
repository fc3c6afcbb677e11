"""The subscribe button of report pages posts here."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from subscriptions.forms import SubscribeForm
from subscriptions.services import subscribe as create_subscription


@require_POST
def subscribe(request):
    form = SubscribeForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "subscriptions/refused.html", {"form": form}, status=400)
    data = form.cleaned_data
    subscription, created = create_subscription(
        user=request.user,
        report=data["report"],
        query_string=data["query_string"],
        frequency=data["frequency"],
    )
    verb = "Subscribed" if created else "Subscription changed"
    messages.success(
        request,
        f"{verb}: this page by email, {subscription.frequency}, to {request.user.email}.",
        extra_tags="subscriptions",
    )
    return redirect(subscription.path)
