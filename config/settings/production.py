"""Production: only overrides. Refuses to start without its secrets, naming the missing variable."""

import os

from django.core.exceptions import ImproperlyConfigured

import config.settings.env  # noqa: F401 (reads .env into the environment before the check)

REQUIRED = ["DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "VAULT_KEYS", "BASE_DOMAIN"]
# Checked before the base settings parse them, so an empty value is named here rather than failing there.
missing = [name for name in REQUIRED if not os.environ.get(name, "").strip()]
if missing:
    raise ImproperlyConfigured(f"Production settings need these environment variables: {', '.join(missing)}")

from config.settings.base import *  # noqa: E402
from config.settings.base import BASE_DOMAIN, VAULT_KEYS, env  # noqa: E402


def _check_vault_keys(keys: list[str]) -> None:
    from cryptography.fernet import Fernet

    try:
        for key in keys:
            Fernet(key.strip().encode())
    except ValueError as exc:
        raise ImproperlyConfigured(
            "VAULT_KEYS must be comma-separated Fernet keys, newest first "
            '(make one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")'
        ) from exc


_check_vault_keys(VAULT_KEYS)

DEBUG = False
META_SANDBOX_ENABLED = env.bool("META_SANDBOX_ENABLED", default=False)
SITE_SCHEME = "https"
SITE_PORT = env("SITE_PORT", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[BASE_DOMAIN, f".{BASE_DOMAIN}"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
if any("*" in origin for origin in CSRF_TRUSTED_ORIGINS):
    raise ImproperlyConfigured(
        "CSRF_TRUSTED_ORIGINS must not hold wildcards: every company's subdomain could then post to every other's"
    )
SESSION_COOKIE_DOMAIN = env("SESSION_COOKIE_DOMAIN", default=f".{BASE_DOMAIN}")
CSRF_COOKIE_DOMAIN = SESSION_COOKIE_DOMAIN
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^health$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
WHITENOISE_USE_FINDERS = False
WHITENOISE_AUTOREFRESH = False
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
