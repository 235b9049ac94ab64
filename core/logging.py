"""JSON log lines with the request id of the request (or task, or websocket) that wrote them."""

import json
import logging
from datetime import UTC, datetime

from core.context import request_id_var, task_id_var

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged as a field.
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# Set by RequestIdFilter or carried for it: `request` is Django's HttpRequest (django.request's extra),
# `data` Celery's copy of a task's arguments and return value, which stay out of the logs.
_NOT_EXTRA = {"request_id", "task_id", "request", "data"}


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id and task id.

    Django logs a 4xx/5xx response that a view returned after the whole middleware chain, when the
    request id is no longer current; those records carry the request itself, so its id is taken there."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = request_id_var.get()
        if not request_id:
            request_id = getattr(getattr(record, "request", None), "request_id", "") or ""
        record.request_id = request_id
        record.task_id = task_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
        }
        task_id = getattr(record, "task_id", "")
        if task_id:
            entry["task_id"] = task_id
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in _NOT_EXTRA and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
