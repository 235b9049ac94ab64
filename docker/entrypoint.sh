#!/bin/sh
# What a container of the image runs, by its first argument (compose.yaml sets one per service):
#   web      daphne on 0.0.0.0:$PORT, HTTP and websockets (the default)
#   webhooks uvicorn (httptools, uvloop) on 0.0.0.0:$PORT for the provider webhooks under /webhooks/
#   worker   a Celery worker; extra arguments go to `celery worker` (e.g. --concurrency 4)
#   beat     Celery beat with the tenant-aware scheduler; its schedule file lives in /app/var/beat
#   migrate  migrations for the public and every tenant schema, then the public site on BASE_DOMAIN
#   manage   any manage.py command: `manage create_tenant acme --name "Acme" --owner-email ...`
# Anything else runs as given (`sh`, `python`, ...). Every mode replaces this shell (exec), so the
# process gets the container's stop signal directly.
set -eu

mode="${1:-web}"
if [ "$#" -gt 0 ]; then
    shift
fi

case "$mode" in
    web)
        # -v 0: no plain-text access log; core.middleware writes a JSON one with the request id.
        exec daphne -v 0 -b 0.0.0.0 -p "${PORT:-8000}" "$@" config.asgi:application
        ;;
    webhooks)
        # The same ASGI app; the reverse proxy sends it only /webhooks/ (README, "WhatsApp webhooks").
        # Forwarded headers are left to Django (TRUSTED_PROXY_COUNT), as under daphne.
        exec uvicorn --host 0.0.0.0 --port "${PORT:-8000}" --loop uvloop --http httptools --lifespan off \
            --no-access-log --no-proxy-headers "$@" config.asgi:application
        ;;
    worker)
        exec celery -A config --quiet worker --concurrency "${CELERY_CONCURRENCY:-2}" "$@"
        ;;
    beat)
        # The scheduler class comes from settings: tenant_schemas_celery's TenantAwarePersistentScheduler.
        exec celery -A config --quiet beat --schedule /app/var/beat/celerybeat-schedule "$@"
        ;;
    migrate)
        python manage.py migrate --noinput "$@"
        exec python manage.py ensure_public_tenant
        ;;
    manage)
        exec python manage.py "$@"
        ;;
    *)
        exec "$mode" "$@"
        ;;
esac
