"""Test settings: same services as development, isolated key prefixes and queue, fast hashing."""

from config.settings.base import *
from config.settings.base import CACHES, CHANNEL_LAYERS, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", default="crm-test")
CACHES["default"]["KEY_PREFIX"] = CACHE_KEY_PREFIX
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = env("CHANNELS_PREFIX", default="asgi-test")
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="crm-test")
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"handlers": [], "level": "WARNING"}}
AGENDA_GOOGLE_CLIENT = "agenda.clients.fakes.FakeGoogleCalendarClient"
CHATS_AGENT_LLM = "chats.agent.clients.fakes.fake_chat_client"
CHATS_TRANSCRIBER = "chats.agent.clients.fakes.FakeTranscriber"
META_SANDBOX_ENABLED = True
# Tests change companies with queryset updates (no signals): look the host up every time. The host cache's
# own tests turn it on.
TENANT_HOST_CACHE_SECONDS = 0
# Companies made by tests are copied from the template; tenants/tests/test_schema_spares.py turns spares on.
TENANT_SPARE_SCHEMAS = 0
CHATS_WHATSAPP_CLIENT = "chats.clients.fakes.FakeWhatsAppClient"
