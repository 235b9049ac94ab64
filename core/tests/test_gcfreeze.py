"""Long-running processes keep their start-up objects out of the collector's full passes."""

import gc

from core.gcfreeze import freeze_after_startup


def test_start_up_objects_are_frozen_and_the_url_configurations_loaded():
    gc.unfreeze()
    assert gc.get_freeze_count() == 0

    frozen = freeze_after_startup("config.urls_tenants", "config.urls_public")

    assert frozen == gc.get_freeze_count() > 10_000
    # The URL patterns (with the views they import) were built before freezing.
    from django.urls import get_resolver

    assert get_resolver("config.urls_tenants")._populated
    gc.unfreeze()


def test_the_asgi_application_and_the_workers_freeze_after_start_up(monkeypatch):
    import importlib

    from celery.signals import worker_process_init

    import config.asgi
    from config import celery
    from core import gcfreeze

    calls = []
    monkeypatch.setattr(gcfreeze, "freeze_after_startup", lambda *urlconfs: calls.append(urlconfs))
    importlib.reload(config.asgi)  # what daphne and uvicorn import

    assert calls == [("config.urls_tenants", "config.urls_public")]
    assert celery._freeze_startup_objects in [ref() for _key, ref in worker_process_init.receivers]
