"""Settings with safe development defaults. Production (production.py) only overrides."""

from urllib.parse import unquote

from django.utils.translation import gettext_lazy as _

from config.settings.env import BASE_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-insecure-secret-key-change-me-0123456789abcdefghijklmnop")
BASE_DOMAIN = env("BASE_DOMAIN", default="localhost")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[BASE_DOMAIN, f".{BASE_DOMAIN}", "127.0.0.1"])
# The site's scheme and port as users reach it; used to build links between tenant subdomains.
SITE_SCHEME = env("SITE_SCHEME", default="http")
SITE_PORT = env("SITE_PORT", default="8000")
# How many reverse proxies in front of the app append to X-Forwarded-For; 0 trusts none and logs and
# throttles by the connecting address (core.context.client_ip).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

SHARED_APPS = [
    # Before django_tenants: an earlier app's management command wins, and both ship `create_tenant`.
    "tenants",
    "django_tenants",
    "daphne",
    "core",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "template_partials",
    "channels",
    "webhooks",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.admin",
    "core",
    "crm",
    "agenda",
    "chats",
    "marketing",
    "odoo_sync",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenants"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
TENANT_LIMIT_SET_CALLS = True
# New companies are cloned from this migrated schema (tenants.schema_template); `migrate` keeps it current.
TENANT_TEMPLATE_SCHEMA = "tenant_template"
# Copies of the template kept ready by a worker, so creating a company renames one (tenants.schema_spares).
TENANT_SPARE_SCHEMAS = env.int("TENANT_SPARE_SCHEMAS", default=2)
# `migrate` walks company schemas in parallel processes and names the ones that fail.
GET_EXECUTOR_FUNCTION = "tenants.migration_executor.get_executor"
TENANT_MULTIPROCESSING_MAX_PROCESSES = env.int("MIGRATE_PROCESSES", default=0) or None

MIDDLEWARE = [
    "core.middleware.RequestIdMiddleware",
    "tenants.middleware.CachedTenantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Above everything that writes the body, so it compresses the finished page (HTML only: see the module).
    "core.compression.HtmlGZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenants.middleware.MembershipMiddleware",
    "core.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "core.context_processors.layout",
            ],
        },
    },
]

WSGI_APPLICATION = None
ASGI_APPLICATION = "config.asgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/crm")}
DATABASES["default"]["ENGINE"] = "core.db_backend"  # django-tenants' backend, table list scoped to the schema
# A unix-socket directory arrives percent-encoded in the URL host (the embedded server uses one).
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST") or "")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default=f"test_{DATABASES['default']['NAME']}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", default="crm")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": CACHE_KEY_PREFIX,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
    }
}

AUTH_USER_MODEL = "tenants.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "tenants:login"
LOGIN_REDIRECT_URL = "/"
# Sessions live in the public schema. Browsers refuse a cookie for the bare `localhost` domain, so in
# development each subdomain keeps its own cookie and moving between tenants goes through a signed
# one-time hand-off; in production set SESSION_COOKIE_DOMAIN=.example.com to share it outright.
SESSION_COOKIE_DOMAIN = env("SESSION_COOKIE_DOMAIN", default=None)
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
CSRF_COOKIE_DOMAIN = SESSION_COOKIE_DOMAIN
# None by default: Django then accepts a POST only from the request's own origin (scheme, host, port). A
# wildcard such as https://*.example.com would let a page on one company's subdomain post to another's.
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Sent on every response (core.middleware.ContentSecurityPolicyMiddleware, which adds the page's own websocket
# origin to connect-src). No inline script or style anywhere: behaviours live in static/js, and htmx's
# indicator styles and eval are off (the htmx-config meta tag in templates/base.html).
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="CRM <no-reply@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# Used by the SMTP backend (production's default): password-reset and other mail.
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Credentials vault: comma-separated Fernet keys, newest first (MultiFernet decrypts with any, encrypts
# with the first). The development default is derived from SECRET_KEY so a fresh clone just works.
VAULT_KEYS = env.list("VAULT_KEYS", default=[])

# Seconds every call to a company's Odoo may take before it counts as failed (and is retried).
ODOO_TIMEOUT = env.float("ODOO_TIMEOUT", default=20.0)

# Throttles for login, registration and password reset: (attempts, seconds). Sign-in failures count per
# address, per account and address, and against a slower per-account ceiling that browsers the person has
# signed in with before are exempt from (tenants/throttles.py), so a stranger cannot lock them out.
THROTTLE_LOGIN_IP = (20, 15 * 60)
THROTTLE_LOGIN_ACCOUNT_IP = (5, 15 * 60)
THROTTLE_LOGIN_ACCOUNT = (30, 60 * 60)
THROTTLE_REGISTER_IP = (10, 60 * 60)
THROTTLE_PASSWORD_RESET_IP = (5, 60 * 60)
THROTTLE_PASSWORD_RESET_ACCOUNT = (3, 60 * 60)

# Called by `manage.py seed_demo` inside each demo tenant's schema: seed(*, tenant, stdout).
DEMO_SEEDERS = [
    "crm.demo.seed",
    "agenda.demo.seed",
    "crm.documents_demo.seed",
    "chats.demo.seed",
    "marketing.demo.seed",
]

# Google Calendar client: "real" (google-api-python-client with the vault's credentials) or the dotted path
# of a class taking the tenant (tests use the in-memory fake).
AGENDA_GOOGLE_CLIENT = env("AGENDA_GOOGLE_CLIENT", default="real")
# WhatsApp providers: "real" picks each number's provider (Cloud API, YCloud, sandbox); a dotted class path
# replaces them all (tests use chats.clients.fakes.FakeWhatsAppClient).
CHATS_WHATSAPP_CLIENT = env("CHATS_WHATSAPP_CLIENT", default="real")

# The AI sales agent (chats.agent): the model used when the company's OpenAI credential names none, and the
# chat / transcription clients: "real" (OpenAI with the vault's key) or the dotted path of a factory taking
# the tenant (tests and the demo use the in-memory fakes of chats.agent.clients.fakes).
CHATS_AGENT_DEFAULT_MODEL = env("CHATS_AGENT_DEFAULT_MODEL", default="gpt-4o-mini")
CHATS_AGENT_LLM = env("CHATS_AGENT_LLM", default="real")
CHATS_TRANSCRIBER = env("CHATS_TRANSCRIBER", default="real")
# Where the real clients reach OpenAI: empty for api.openai.com, or an OpenAI-compatible endpoint ending in /v1.
CHATS_OPENAI_BASE_URL = env("CHATS_OPENAI_BASE_URL", default="")


# Meta (marketing hub): the platform's Meta app. Companies connect their own accounts through it with OAuth
# (tokens kept in each company's vault); the app secret also signs the lead-ads webhook. META_GRAPH_URL is
# where the Graph API is reached (tests point it at a fake Graph server on loopback).
META_APP_ID = env("META_APP_ID", default="")
META_APP_SECRET = env("META_APP_SECRET", default="")
META_WEBHOOK_VERIFY_TOKEN = env("META_WEBHOOK_VERIFY_TOKEN", default="")
META_GRAPH_URL = env("META_GRAPH_URL", default="https://graph.facebook.com")
META_DIALOG_URL = env("META_DIALOG_URL", default="https://www.facebook.com")
META_API_VERSION = env("META_API_VERSION", default="v25.0")
META_TIMEOUT = env.float("META_TIMEOUT", default=30.0)
# Days of insights each scheduled sync re-reads (Meta revises recent days), and the history loaded on the
# first sync of a newly followed ad account.
META_SYNC_DAYS = env.int("META_SYNC_DAYS", default=3)
META_BACKFILL_DAYS = env.int("META_BACKFILL_DAYS", default=90)
# Offers "use the sandbox account" on the Meta connection page (fake data, no network): development, demos
# and browser tests; off in production unless asked for.
META_SANDBOX_ENABLED = env.bool("META_SANDBOX_ENABLED", default=DEBUG)

from config.settings.celery import *  # noqa: E402
from config.settings.channels import *  # noqa: E402
from config.settings.logging import *  # noqa: E402
