"""The Celery app. tenant-schemas-celery carries the current schema with every task sent; core.task_context
carries the request id the same way, for the logs."""

import os

from celery.signals import setup_logging
from tenant_schemas_celery.app import CeleryApp

import core.task_context  # noqa: F401  (connects the request-id signals)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = CeleryApp("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect(dispatch_uid="config.celery.logging")
def use_django_logging(**kwargs) -> None:
    """With a receiver here Celery leaves the root logger alone: workers and beat write Django's LOGGING
    (JSON lines with request ids) and LOG_LEVEL sets their level, not `-l`."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
