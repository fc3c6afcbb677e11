"""Set Django up inside a notebook or script: ``import foodmart_site.notebook``.

Finds the project from this file, so the notebook may live anywhere; the
database is the app's (DATABASE_URL, or the embedded PostgreSQL).
"""

import os
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foodmart_site.settings")
# Jupyter runs an event loop; the ORM calls made from cells are plain
# synchronous calls on the kernel's thread, which is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()
