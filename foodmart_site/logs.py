"""Structured logs: one JSON object a line on stdout, for the app and for
gunicorn's access log (settings.LOGGING and gunicorn_conf.py use it)."""

import time

from pythonjsonlogger import json

# gunicorn's access-log atoms worth a field of their own.
ACCESS_FIELDS = {
    "h": "remote_addr",
    "m": "method",
    "U": "path",
    "q": "query",
    "s": "status",
    "B": "bytes",
    "M": "duration_ms",
    "a": "user_agent",
}


# The formatter entry of a logging dictConfig (settings.LOGGING, gunicorn's).
JSON_FORMATTER = {
    "()": "foodmart_site.logs.JsonFormatter",
    "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d",
    "datefmt": "%Y-%m-%dT%H:%M:%S%z",
    "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
}


class JsonFormatter(json.JsonFormatter):
    """python-json-logger's formatter; a gunicorn access record (its
    ``args`` are the request's atoms) becomes named fields. Times in UTC."""

    converter = time.gmtime

    def add_fields(self, log_record, record, message_dict):
        super().add_fields(log_record, record, message_dict)
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            for atom, field in ACCESS_FIELDS.items():
                value = record.args.get(atom)
                if value not in (None, "", "-"):
                    log_record[field] = value
