#!/usr/bin/env python
"""Health check of a web container: GET /health from inside the container, as the public site's host.

Healthy when the database and Redis answer. /health also reports whether any Celery worker answers
(it is 503 when none does), but workers have their own check, and a web replica that can serve pages
should stay in rotation while workers restart. Standard library only: the image has no curl."""

import json
import os
import sys
import urllib.error
import urllib.request

url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health"
request = urllib.request.Request(url, headers={"Host": os.environ.get("BASE_DOMAIN", "localhost")})
try:
    with urllib.request.urlopen(request, timeout=8) as response:  # noqa: S310 (a fixed http URL)
        body = response.read()
except urllib.error.HTTPError as error:  # 503: some check failed; the body says which
    body = error.read()
except OSError as error:
    print(f"unreachable: {error}")
    sys.exit(1)

try:
    checks = json.loads(body)["checks"]
except (ValueError, KeyError, TypeError):
    print(f"unexpected answer: {body[:200]!r}")
    sys.exit(1)
print(json.dumps(checks))
sys.exit(0 if checks["database"]["ok"] and checks["redis"]["ok"] else 1)
