"""Production settings refuse to start without their secrets and pass Django's deployment checks.

Each case runs in a fresh interpreter, because settings are read once per process."""

import os
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

REQUIRED = ["DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "VAULT_KEYS", "BASE_DOMAIN"]


def _env(**values: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in REQUIRED and not name.startswith("DJANGO_")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    env.update(values)
    return env


def _complete(**overrides: str) -> dict[str, str]:
    values = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://crm@db.internal:5432/crm",
        "REDIS_URL": "redis://redis.internal:6379/0",
        "VAULT_KEYS": Fernet.generate_key().decode(),
        "BASE_DOMAIN": "example.com",
    }
    values.update(overrides)
    return _env(**values)


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_name_every_missing_variable():
    result = _run("-c", "import config.settings.production", env=_env())

    assert result.returncode == 1
    assert (
        "django.core.exceptions.ImproperlyConfigured: Production settings need these environment variables: "
        "DJANGO_SECRET_KEY, DATABASE_URL, REDIS_URL, VAULT_KEYS, BASE_DOMAIN"
    ) in result.stderr


@pytest.mark.parametrize("name", REQUIRED)
def test_production_settings_name_the_one_missing_variable(name):
    env = _complete()
    env[name] = ""

    result = _run("-c", "import config.settings.production", env=env)

    assert result.returncode == 1
    assert f"ImproperlyConfigured: Production settings need these environment variables: {name}\n" in result.stderr


def test_production_settings_refuse_a_vault_key_that_is_not_a_fernet_key():
    result = _run("-c", "import config.settings.production", env=_complete(VAULT_KEYS="not-a-key"))

    assert result.returncode == 1
    assert "ImproperlyConfigured: VAULT_KEYS must be comma-separated Fernet keys" in result.stderr


def test_production_settings_refuse_wildcard_trusted_origins():
    env = _complete(CSRF_TRUSTED_ORIGINS="https://example.com,https://*.example.com")

    result = _run("-c", "import config.settings.production", env=env)

    assert result.returncode == 1
    assert "ImproperlyConfigured: CSRF_TRUSTED_ORIGINS must not hold wildcards" in result.stderr


def test_deploy_checks_pass_with_every_variable_set():
    env = _complete(VAULT_KEYS=f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}")

    result = _run("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_production_settings_values():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_DOMAIN, s.SECURE_SSL_REDIRECT, s.ALLOWED_HOSTS, s.SITE_SCHEME, "
        "s.CSRF_TRUSTED_ORIGINS)"
    )

    result = _run("-c", code, env=_complete())

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False .example.com True ['example.com', '.example.com'] https []"
