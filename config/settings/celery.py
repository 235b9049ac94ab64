"""Celery: Redis broker, tenant-aware tasks (tenant-schemas-celery) and beat."""

from celery.schedules import crontab

from config.settings.env import env

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=env("REDIS_URL", default="redis://127.0.0.1:6379/0"))
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="crm")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Workers read their queues in the order declared (config.celery.declare_queues), not in turns.
CELERY_BROKER_TRANSPORT_OPTIONS = {"queue_order_strategy": "priority"}
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_RESULT_EXPIRES = 60 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False
# Beat (tenant-schemas-celery's scheduler): an entry without "tenant_schemas" runs once in every tenant;
# one with "tenant_schemas": [...] runs only in those schemas.
CELERY_BEAT_SCHEDULER = "core.beat.SpreadTenantScheduler"
# Companies start a scheduled task at stable points spread over this many seconds (core.beat); an entry
# may set its own window with "options": {"spread": seconds}.
CELERY_BEAT_DEFAULT_SPREAD = env.int("CELERY_BEAT_DEFAULT_SPREAD", default=0)
# Wall-clock schedules (crontab), not intervals: an interval restarts counting whenever beat restarts
# without its schedule file (a fresh container), so a daily job could never come due.
CELERY_BEAT_SCHEDULE = {
    "audit-purge-old-entries": {
        "task": "core.tasks.audit_purge_task",
        "schedule": crontab(hour=3, minute=30),
        "options": {"spread": 3600},
    },
    # Agenda: due tasks, sellers' 30-minute reminders and the lead reminder hooks (every minute), and the
    # pipeline's inactivity alerts (hourly; each breach notifies once).
    "agenda-reminders": {
        "task": "agenda.tasks.agenda_reminders_task",
        "schedule": crontab(),
        "options": {"spread": 45},
    },
    "agenda-inactivity-alerts": {
        "task": "agenda.tasks.inactivity_alerts_task",
        "schedule": crontab(minute=20),
        "options": {"spread": 1800},
    },
    # WhatsApp deliveries stored but never sent to the worker (chats.tasks.webhook_sweep_task).
    "chats-webhook-sweep": {
        "task": "chats.tasks.webhook_sweep_task",
        "schedule": crontab(),
        "options": {"spread": 30},
    },
    # Reads invoices and deliveries back from each company's Odoo (posted, paid, cancelled).
    # Marketing: campaigns, ad sets, ads and the last days of insights from each company's Meta ad accounts.
    "marketing-meta-sync": {
        "task": "marketing.tasks.meta_sync_task",
        "schedule": crontab(minute=40),
        "options": {"spread": 1800},
    },
    "marketing-rules-scan": {
        "task": "marketing.tasks.rules_scan_task",
        "schedule": crontab(minute="*/5"),
        "options": {"spread": 120},
    },
    # The installation's spare schemas, so that creating a company renames one (tenants.schema_spares).
    "tenants-spare-schemas": {
        "task": "tenants.tasks.spares_refill_task",
        "schedule": crontab(),
        "options": {"platform": True},
    },
    "odoo-pull": {
        "task": "odoo_sync.tasks.pull_task",
        "schedule": crontab(minute="*/15"),
        "options": {"spread": 600},
    },
}
