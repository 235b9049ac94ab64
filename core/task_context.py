"""Request ids for Celery tasks, so a task's log lines can be joined to the request that enqueued it.

Publishing a task copies the current request id (set by RequestIdMiddleware, or by the task that is
running) into a message header. When a worker runs the task, that id, or the task's own id when the
task was not sent from a request, becomes the current request id until the task ends; the task id is
current as well. Connected once, from config/celery.py."""

from __future__ import annotations

from celery.signals import before_task_publish, task_postrun, task_prerun

from core.context import request_id_var, task_id_var, valid_request_id

HEADER = "request_id"
_tokens: dict[str, tuple] = {}


def _header(task, name: str) -> str:
    # The Redis transport may merge message headers into the request itself (as tenant-schemas-celery notes).
    headers = getattr(task.request, "headers", None) or {}
    value = headers.get(name) or getattr(task.request, name, None) or ""
    return value if isinstance(value, str) else ""


@before_task_publish.connect(dispatch_uid="core.task_context.publish")
def add_request_id_header(headers=None, **kwargs) -> None:
    request_id = request_id_var.get()
    if headers is not None and request_id and HEADER not in headers:
        headers[HEADER] = request_id


@task_prerun.connect(dispatch_uid="core.task_context.prerun")
def enter_task(task_id=None, task=None, **kwargs) -> None:
    incoming = _header(task, HEADER) if task is not None else ""
    # An eagerly run task (no message) inherits the id of the request it runs in.
    request_id = incoming if valid_request_id(incoming) else (request_id_var.get() or task_id or "")
    _tokens[task_id] = (request_id_var.set(request_id), task_id_var.set(task_id or ""))


@task_postrun.connect(dispatch_uid="core.task_context.postrun")
def leave_task(task_id=None, **kwargs) -> None:
    tokens = _tokens.pop(task_id, None)
    if tokens is None:
        return
    for var, token in zip((request_id_var, task_id_var), tokens, strict=True):
        try:
            var.reset(token)
        except ValueError:  # postrun ran in another context than prerun
            var.set("")
