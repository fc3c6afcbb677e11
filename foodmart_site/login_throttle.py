"""Failed-login throttling: django-axes, for logins that come over HTTP."""

from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' backend, first in ``AUTHENTICATION_BACKENDS``: refuses a
    locked-out user name and address before the password is checked.

    Axes refuses any ``authenticate()`` call without a request. Calls
    without one come from code, not from the network (Django's test client
    ``login()``, scripts, notebooks), and have no address to throttle by,
    so this backend stands aside for them; every login form passes its
    request."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
