# The one image behind every service in compose.yaml: web (daphne, the default), worker, beat, migrate.
# Only requirements.txt is installed; static files are collected and Python compiled at build time, so a
# container writes nothing but media and the beat schedule (both volumes) at run time.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    PORT=8000

WORKDIR /app

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

# Dependencies first, so a code change reuses this layer.
COPY requirements.txt ./
RUN pip install --requirement requirements.txt

COPY . .

# Production settings refuse to load without their secrets; collectstatic touches neither the database
# nor Redis, so throw-away values that exist only during this step are enough. The manifest it writes
# (whitenoise's CompressedManifestStaticFilesStorage) is what production pages are rendered against.
RUN DJANGO_SECRET_KEY=collectstatic-only \
    DATABASE_URL=postgres://collectstatic@127.0.0.1:5432/collectstatic \
    REDIS_URL=redis://127.0.0.1:6379/0 \
    VAULT_KEYS=collectstatic-only \
    BASE_DOMAIN=collectstatic.invalid \
    python manage.py collectstatic --noinput \
    && python -m compileall -q /app \
    && mkdir -p /app/var/media /app/var/beat \
    && chown app:app /app/var/media /app/var/beat \
    && chmod 0755 /app/docker/entrypoint.sh /app/docker/healthcheck.py

# The code stays owned by root: the app user can read it, not change it.
USER app

EXPOSE 8000

ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
