"""gunicorn's settings for `make serve`, the Dockerfile and bench/load.py:
gunicorn -c foodmart_site/gunicorn_conf.py foodmart_site.wsgi

Environment: HOST and PORT (bind, default 127.0.0.1:8000), WEB_CONCURRENCY
(worker processes, default 2 per core + 1), WEB_THREADS (threads per
worker, default 4), FORWARDED_ALLOW_IPS (proxies whose X-Forwarded-*
headers are trusted, default 127.0.0.1)."""

import multiprocessing
import os

from foodmart_site.logs import JSON_FORMATTER

bind = f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '8000'}"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
# Threads let a worker overlap requests that wait on PostgreSQL.
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS") or 4)
# A report on the full data can take seconds; a stuck request is killed.
timeout = int(os.environ.get("WEB_TIMEOUT") or 60)
graceful_timeout = 20
# Keep idle connections open longer than a person's pause between clicks
# and than a load balancer's idle timeout (often 60 s): otherwise gunicorn
# (default 2 s) may close one just as the next request is sent on it.
keepalive = int(os.environ.get("WEB_KEEPALIVE") or 75)
# Restart workers now and then so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
# Load Django once in the master; the workers fork from it (no database
# connection is open at import time).
preload_app = True
# A TLS-terminating proxy at one of these addresses may say the request
# came over HTTPS (X-Forwarded-Proto) and from whom (X-Forwarded-For):
# Django then sees request.is_secure() and skips its HTTPS redirect.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"
# No runtime control socket: several servers (tests, the benchmark) may
# run side by side, and nothing here uses it.
control_socket_disable = True

# Access and error logs as JSON lines on stdout, like the app's own.
accesslog = "-"
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": JSON_FORMATTER},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"handlers": ["stdout"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
}
