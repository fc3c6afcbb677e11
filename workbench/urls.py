"""SQL Explorer's pages under /workbench/, each behind analysts_only.

Its names stay as they are (its templates reverse them); the parts the
workbench does not offer answer 404: connections to other databases and
file uploads (another database than the read-only one), the AI assistant
(it would send the schema to a third party) and e-mailed results (no mail
set up).
"""

from django.urls import URLPattern, path
from explorer.urls import urlpatterns as explorer_urlpatterns

from workbench.access import analysts_only, switched_off

SWITCHED_OFF_PREFIXES = (
    "explorer_connection",
    "explorer_upload",
    "assistant",
    "table_description",
)
SWITCHED_OFF = {"email_csv_query"}


def is_switched_off(name: str) -> bool:
    return name in SWITCHED_OFF or name.startswith(SWITCHED_OFF_PREFIXES)


def guarded(pattern: URLPattern) -> URLPattern:
    view = switched_off if is_switched_off(pattern.name) else pattern.callback
    return path(str(pattern.pattern), analysts_only(view, pattern.name), name=pattern.name)


urlpatterns = [guarded(p) for p in explorer_urlpatterns]
