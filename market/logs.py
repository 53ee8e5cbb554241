"""Log context and format: the request id of the work being done, and JSON log lines.

`LOG_FORMAT=json` (the production default, settings.LOGGING) writes one JSON object per line:
time, level, logger, message, request_id, and inside a Celery task task_id and task_name (the
access log line adds method, path, route, status, duration_ms, user_id). Loaded by the logging
configuration before the apps: imports no models.
"""

import contextvars
import logging

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

# The id of the HTTP request being served, or of the request that queued the running task.
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("htx_request_id", default="")


SECRET_KEYS = {"args", "kwargs", "return_value"}


class ContextFilter(logging.Filter):
    """Adds request_id (from the request or the task that is running), task_id and task_name."""

    def filter(self, record):  # fields are set on the record by name
        record.request_id = request_id_var.get() or None
        try:
            from celery import current_task

            task = current_task._get_current_object() if current_task else None
        except Exception:
            task = None
        if task is not None and task.request.id:
            record.task_id, record.task_name = task.request.id, task.name
            record.request_id = getattr(task.request, "htx_request_id", None) or record.request_id
        data = getattr(record, "data", None)
        if isinstance(data, dict) and {"args", "kwargs"} & data.keys():
            # Celery's own lines carry the task arguments: mail bodies with reset links, tokens.
            record.data = {k: v for k, v in data.items() if k not in SECRET_KEYS}
        return True


class JsonFormatter(_BaseJsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s")
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level"})
        kwargs.setdefault("datefmt", "%Y-%m-%dT%H:%M:%S%z")
        super().__init__(*args, **kwargs)
