"""The Celery app. tenant-schemas-celery carries the current schema with every task sent; core.task_context
carries the request id the same way, for the logs."""

import os

from celery.signals import setup_logging, worker_process_init
from kombu import Exchange, Queue
from tenant_schemas_celery.app import CeleryApp

import core.task_context  # noqa: F401  (connects the request-id signals)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = CeleryApp("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def status_queue(default: str) -> str:
    """Where webhook deliveries that carry only statuses wait (chats.webhooks.intake.enqueue_many)."""
    return f"{default}.statuses"


@app.on_after_configure.connect(weak=False)
def declare_queues(sender, **kwargs) -> None:
    """Every worker reads two queues: the default one first and its `.statuses` after it (the broker's
    `queue_order_strategy` is "priority"), so a backlog of delivery ticks never delays an inbound message."""
    default = sender.conf.task_default_queue
    sender.conf.task_queues = [
        Queue(name, Exchange(name), routing_key=name) for name in (default, status_queue(default))
    ]


@setup_logging.connect(dispatch_uid="config.celery.logging")
def use_django_logging(**kwargs) -> None:
    """With a receiver here Celery leaves the root logger alone: workers and beat write Django's LOGGING
    (JSON lines with request ids) and LOG_LEVEL sets their level, not `-l`."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


@worker_process_init.connect
def _freeze_startup_objects(**_kwargs):
    """Each worker process, once forked, keeps its start-up objects out of the collector's full passes."""
    from core.gcfreeze import freeze_after_startup

    freeze_after_startup()
