"""Who may use the workbench: the Analysts group and superusers.

Everyone else (store managers, HQ staff, executives) gets 403 on every
workbench page; SQL Explorer's own checks (EXPLORER_PERMISSION_VIEW and
_CHANGE in settings) ask the same function. People who are not logged in
are sent to the login page.

settings.py imports this module, before the apps are ready: it imports
models (and modules that do) inside its functions only.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404


def redirect_to_login(request):
    from django.contrib.auth.views import redirect_to_login

    return redirect_to_login(request.get_full_path())


def may_use_workbench(user) -> bool:
    from people.roles import ANALYSTS

    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.groups.filter(name=ANALYSTS).exists()


def request_may_use_workbench(request) -> bool:
    """For SQL Explorer's permission settings, which take the request."""
    return may_use_workbench(request.user)


def request_may_not(request) -> bool:
    """For the Explorer features the workbench leaves off (connections to
    other databases, uploads): nobody."""
    return False


def refuse(request):
    """EXPLORER_NO_PERMISSION_VIEW: what Explorer answers when its own
    check fails (the views below have already let the user in)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request)
    raise PermissionDenied


def analysts_only(view, door: str):
    """Wrap one of SQL Explorer's views: 403 unless may_use_workbench, and
    the run log knows who asks, through which page, about which query."""
    from workbench.runs import Asker, current_asker

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request)
        if not may_use_workbench(request.user):
            raise PermissionDenied
        token = current_asker.set(Asker(request.user, door, kwargs.get("query_id")))
        try:
            return view(request, *args, **kwargs)
        finally:
            current_asker.reset(token)

    return wrapped


def switched_off(request, *args, **kwargs):
    raise Http404("This part of SQL Explorer is switched off in the workbench.")
