"""The Docker image runs `collectstatic` under the production storage at build time: these keep that build
working (a vendored file naming a missing source map fails it) and every {% static %} a template names in
the manifest (a missing entry is a 500 in production)."""

from __future__ import annotations

import json
import re

from django.conf import settings as django_settings
from django.core.management import call_command

PRODUCTION_STATIC_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
STATIC_TAG = re.compile(r"""\{%\s*static\s+['"]([^'"]+)['"]\s*%\}""")


def _collect(settings, root) -> dict[str, str]:
    settings.STATIC_ROOT = root
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION_STATIC_STORAGE}}
    call_command("collectstatic", interactive=False, verbosity=0)
    return json.loads((root / "staticfiles.json").read_text())["paths"]


def _templates():
    base = django_settings.BASE_DIR
    for folder in [base / "templates", *base.glob("*/templates")]:
        if ".venv" not in folder.parts:
            yield from folder.rglob("*.html")


def test_static_files_collect_under_the_production_storage_and_cover_every_template_reference(settings, tmp_path):
    # when the image's build step runs
    manifest = _collect(settings, tmp_path / "static")

    # then it hashed the vendored assets and the app's own
    assert manifest["css/app.css"].startswith("css/app.")
    assert manifest["vendor/htmx-2.0.11.min.js"].startswith("vendor/htmx-2.0.11.min.")
    assert (tmp_path / "static" / manifest["css/app.css"]).with_suffix(".css.gz").is_file()
    # and every file a template asks for is in the manifest
    referenced = {name for path in _templates() for name in STATIC_TAG.findall(path.read_text())}
    assert "css/app.css" in referenced
    assert sorted(referenced - set(manifest)) == []
