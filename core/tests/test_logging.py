"""Structured logs: JSON lines carrying the request id of the request, task or websocket that wrote them."""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from contextlib import contextmanager

import pytest
from asgiref.sync import async_to_sync
from celery import shared_task

from config.celery import app as celery_app
from core.asgi import TenantWebsocketMiddleware
from core.context import request_id_var, task_id_var
from core.logging import JsonFormatter, RequestIdFilter

GENERATED_ID = re.compile(r"[0-9a-f]{32}")


@shared_task(name="core.tests.test_logging.context_task")
def context_task() -> dict[str, str]:
    logging.getLogger("core.tests.task").info("inside the task")
    return {"request_id": request_id_var.get(), "task_id": task_id_var.get()}


@contextmanager
def captured(logger_name: str, level: int = logging.INFO):
    """Routes one logger through the production filter and formatter into a buffer; yields a reader of
    the JSON lines written."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(logger_name)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


@contextmanager
def current_request_id(value: str):
    token = request_id_var.set(value)
    try:
        yield
    finally:
        request_id_var.reset(token)


# The formatter


def test_a_log_line_is_one_json_object_with_the_current_request_id():
    # given a request in progress
    with captured("core.tests.a") as lines, current_request_id("req-123"):
        # when something logs
        logging.getLogger("core.tests.a").warning("stock low for %s", "SKU-1")

    # then the line is JSON with the request id and the rendered message
    [line] = lines()
    assert set(line) == {"time", "level", "logger", "message", "request_id"}
    assert line["level"] == "WARNING"
    assert line["logger"] == "core.tests.a"
    assert line["message"] == "stock low for SKU-1"
    assert line["request_id"] == "req-123"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])


def test_a_log_line_outside_any_request_has_an_empty_request_id():
    with captured("core.tests.b") as lines:
        logging.getLogger("core.tests.b").info("started")

    [line] = lines()
    assert line["request_id"] == ""
    assert "task_id" not in line


def test_extra_fields_become_json_fields_and_the_request_object_and_task_data_stay_out():
    with captured("core.tests.c") as lines:
        logging.getLogger("core.tests.c").info(
            "check", extra={"check": "redis", "attempt": 2, "request": object(), "data": {"args": "secret"}}
        )

    [line] = lines()
    assert line["check"] == "redis"
    assert line["attempt"] == 2
    assert "request" not in line
    assert "data" not in line


def test_an_exception_is_logged_inside_the_json_line():
    with captured("core.tests.d") as lines:
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("core.tests.d").exception("failed")

    [line] = lines()
    assert line["message"] == "failed"
    assert line["exc_info"].startswith("Traceback (most recent call last):")
    assert line["exc_info"].endswith("ValueError: boom")


# Requests


def test_a_response_carries_a_generated_request_id(db, client):
    response = client.get("/login/", HTTP_HOST="localhost")

    assert GENERATED_ID.fullmatch(response["X-Request-ID"])


def test_each_request_gets_its_own_id(db, client):
    first = client.get("/login/", HTTP_HOST="localhost")
    second = client.get("/login/", HTTP_HOST="localhost")

    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_valid_incoming_request_id_is_kept(db, client):
    response = client.get("/login/", HTTP_HOST="localhost", HTTP_X_REQUEST_ID="proxy-7f3a.b_9")

    assert response["X-Request-ID"] == "proxy-7f3a.b_9"


@pytest.mark.parametrize("incoming", ["has spaces", "a" * 65, "semi;colon", "<script>"])
def test_an_invalid_incoming_request_id_is_replaced(db, client, incoming):
    response = client.get("/login/", HTTP_HOST="localhost", HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] != incoming
    assert GENERATED_ID.fullmatch(response["X-Request-ID"])


def test_each_request_writes_one_access_line_without_its_query_string(db, client):
    with captured("core.access") as lines:
        response = client.get("/login/?next=/secret-token", HTTP_HOST="localhost", HTTP_X_REQUEST_ID="req-access")

    assert response.status_code == 200
    [line] = lines()
    assert line["message"] == "GET /login/ 200"
    assert line["request_id"] == "req-access"
    assert (line["method"], line["host"], line["path"], line["status"]) == ("GET", "localhost", "/login/", 200)
    assert isinstance(line["duration_ms"], float)
    assert "secret-token" not in json.dumps(line)


def test_a_line_logged_inside_the_view_carries_the_request_id(acme, client):
    # given a view that refuses GET (its decorator logs the refusal while the request is in progress)
    with captured("django.request", logging.WARNING) as lines:
        response = client.get("/logout/", HTTP_HOST="acme.localhost", HTTP_X_REQUEST_ID="req-405")

    assert response.status_code == 405
    [line] = lines()
    assert line["message"] == "Method Not Allowed (GET): /logout/"
    assert line["request_id"] == "req-405"
    assert line["status_code"] == 405


def test_a_404_logged_after_the_middleware_chain_still_carries_its_request_id(acme, client):
    # given a page that does not exist: Django logs the 404 once the middleware chain has returned
    with captured("django.request", logging.WARNING) as lines:
        response = client.get("/no-such-page/", HTTP_HOST="acme.localhost")

    assert response.status_code == 404
    [line] = lines()
    assert line["message"] == "Not Found: /no-such-page/"
    assert line["request_id"] == response["X-Request-ID"]
    assert line["status_code"] == 404
    assert request_id_var.get() == ""


# Celery tasks


def test_a_task_sent_during_a_request_carries_the_request_id_in_its_headers(tenant):
    # given a request in acme and an empty queue of our own on the real broker
    queue_name = f"test-logging-{uuid.uuid4().hex}"
    with celery_app.connection_for_write() as connection:
        queue = connection.SimpleQueue(queue_name)
        try:
            # when a task is sent while a request is in progress
            with current_request_id("req-sent-1"):
                result = context_task.apply_async(queue=queue_name)
            # then its message carries the request id beside the tenant schema
            message = queue.get(timeout=5)
            message.ack()
            assert message.headers["request_id"] == "req-sent-1"
            assert message.headers["id"] == result.id
            assert message.headers["_schema_name"] == "acme"
        finally:
            queue.queue.delete()
            queue.close()


def test_a_task_sent_outside_a_request_carries_no_request_id():
    queue_name = f"test-logging-{uuid.uuid4().hex}"
    with celery_app.connection_for_write() as connection:
        queue = connection.SimpleQueue(queue_name)
        try:
            context_task.apply_async(queue=queue_name)
            message = queue.get(timeout=5)
            message.ack()
            assert "request_id" not in message.headers
        finally:
            queue.queue.delete()
            queue.close()


def test_a_task_runs_with_the_request_id_it_was_sent_with_and_logs_it():
    with captured("core.tests.task") as lines:
        result = context_task.apply(headers={"request_id": "req-from-web"}, task_id="task-1")

    assert result.get() == {"request_id": "req-from-web", "task_id": "task-1"}
    [line] = lines()
    assert line["request_id"] == "req-from-web"
    assert line["task_id"] == "task-1"
    # and nothing is left behind for whatever runs next in this process
    assert request_id_var.get() == ""
    assert task_id_var.get() == ""


def test_a_task_sent_without_a_request_uses_its_task_id_as_request_id():
    result = context_task.apply(task_id="task-2")

    assert result.get() == {"request_id": "task-2", "task_id": "task-2"}
    assert request_id_var.get() == ""


def test_a_task_header_that_is_not_a_valid_id_is_ignored():
    result = context_task.apply(headers={"request_id": "bad id\nforged line"}, task_id="task-3")

    assert result.get() == {"request_id": "task-3", "task_id": "task-3"}


def test_a_task_run_eagerly_inside_a_request_keeps_that_request_id_and_restores_it_after():
    with current_request_id("req-eager"):
        result = context_task.apply(task_id="task-4")
        after = request_id_var.get()

    assert result.get() == {"request_id": "req-eager", "task_id": "task-4"}
    assert after == "req-eager"


# Websockets


def test_a_websocket_gets_its_own_request_id_for_its_lifetime(acme):
    # given the tenant-resolving middleware in front of an app that records the current request id
    seen = []

    async def inner(scope, receive, send):
        seen.append(request_id_var.get())

    middleware = TenantWebsocketMiddleware(inner)
    scope = {"type": "websocket", "path": "/ws/notifications/", "headers": [(b"host", b"acme.localhost")]}

    # when two sockets connect
    async_to_sync(middleware)(scope, None, None)
    async_to_sync(middleware)(scope, None, None)

    # then each ran with its own generated id, and none is left current afterwards
    assert len(seen) == 2
    assert all(GENERATED_ID.fullmatch(value) for value in seen)
    assert seen[0] != seen[1]
    assert request_id_var.get() == ""
