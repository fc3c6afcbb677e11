"""SQL Explorer's pages under /workbench/, each behind analysts_only.

Its names stay as they are (its templates reverse them); the parts the
workbench does not offer answer 404: connections to other databases and
file uploads (another database than the read-only one), the AI assistant
(it would send the schema to a third party) and e-mailed results (no mail
set up).
"""

from csp.decorators import csp_replace, csp_update
from django.urls import URLPattern, path
from django.views.decorators.clickjacking import xframe_options_sameorigin
from explorer.urls import urlpatterns as explorer_urlpatterns

from workbench.access import analysts_only, switched_off

SWITCHED_OFF_PREFIXES = (
    "explorer_connection",
    "explorer_upload",
    "assistant",
    "table_description",
)
SWITCHED_OFF = {"email_csv_query"}

# Explorer's SQL editor (CodeMirror) adds <style> elements as it runs, and
# its query page shows the schema in a frame: on these pages only, the
# site's content security policy allows style elements, and the schema
# pages may be framed by the workbench itself. Scripts stay 'self' only.
editor_styles = csp_update({"style-src": ["'unsafe-inline'"]})
framed_by_workbench = csp_replace({"frame-ancestors": ["'self'"]})
FRAMED = {"explorer_schema", "explorer_schema_json"}


def is_switched_off(name: str) -> bool:
    return name in SWITCHED_OFF or name.startswith(SWITCHED_OFF_PREFIXES)


def guarded(pattern: URLPattern) -> URLPattern:
    view = switched_off if is_switched_off(pattern.name) else pattern.callback
    view = editor_styles(analysts_only(view, pattern.name))
    if pattern.name in FRAMED:
        view = xframe_options_sameorigin(framed_by_workbench(view))
    return path(str(pattern.pattern), view, name=pattern.name)


urlpatterns = [guarded(p) for p in explorer_urlpatterns]
