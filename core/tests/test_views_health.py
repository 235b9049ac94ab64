"""/health: database, Redis and worker reachability as JSON, on every host, revealing no tenant data."""

import pytest
from django.test import Client

from config.celery import app as celery_app
from core import views

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_answers(monkeypatch):
    """One worker answers the broadcast ping (no worker runs during tests)."""
    monkeypatch.setattr(celery_app.control, "ping", lambda timeout: [{"celery@test": {"ok": "pong"}}])


@pytest.fixture
def no_worker_answers(monkeypatch):
    """Nobody answers: what control.ping returns once its timeout passes, without waiting for it."""
    monkeypatch.setattr(celery_app.control, "ping", lambda timeout: [])


@pytest.mark.parametrize("host", ["localhost", "acme.localhost"])
def test_healthy_when_database_redis_and_a_worker_answer(acme, worker_answers, host):
    response = Client(HTTP_HOST=host).get("/health")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "checks": {"database": {"ok": True}, "redis": {"ok": True}, "worker": {"ok": True, "workers": 1}},
    }


def test_without_a_worker_it_is_503(acme, no_worker_answers):
    response = Client(HTTP_HOST="acme.localhost").get("/health")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["worker"] == {"ok": False, "error": "RuntimeError"}
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["redis"] == {"ok": True}


def test_a_real_ping_without_a_worker_reports_the_worker_down(acme):
    response = Client(HTTP_HOST="localhost").get("/health")

    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False


def test_when_redis_is_down_the_worker_is_not_pinged(acme, monkeypatch):
    def redis_down():
        raise ConnectionError("refused")

    def must_not_ping(timeout):
        raise AssertionError("pinged workers without Redis")

    monkeypatch.setattr(views, "_redis", redis_down)
    monkeypatch.setattr(celery_app.control, "ping", must_not_ping)

    response = Client(HTTP_HOST="localhost").get("/health")

    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": {"ok": True},
        "redis": {"ok": False, "error": "ConnectionError"},
        "worker": {"ok": False, "error": "redis"},
    }


def test_health_is_never_cached_and_needs_no_login(acme, worker_answers):
    response = Client(HTTP_HOST="acme.localhost").get("/health")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    assert "Acme" not in response.content.decode()
