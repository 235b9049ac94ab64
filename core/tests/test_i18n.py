"""The es, en and fr catalogs are complete and compiled, and pages come out in the visitor's language."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
_spec = importlib.util.spec_from_file_location("check_translations", ROOT / "scripts" / "check_translations.py")
check_translations = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = check_translations  # dataclasses look their module up there
_spec.loader.exec_module(check_translations)


@pytest.mark.parametrize("language", ["es", "fr"])
def test_every_msgid_has_a_translation_and_none_is_fuzzy(language):
    report = check_translations.check_language(language)

    assert report.untranslated == []
    assert report.fuzzy == []
    assert report.bad_placeholders == []
    assert report.total > 0
    assert report.translated == report.total


def test_english_catalog_has_no_fuzzy_entries():
    report = check_translations.check_language("en")

    assert report.fuzzy == []
    assert report.bad_placeholders == []


@pytest.mark.parametrize("language", ["es", "en", "fr"])
def test_compiled_catalog_holds_exactly_what_its_po_file_says(language):
    report = check_translations.check_language(language)

    assert report.stale_mo == []


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", {"Sign in": "Iniciar sesión", "Dashboard": "Panel", "Leads": "Leads"}),
        ("fr", {"Sign in": "Se connecter", "Dashboard": "Tableau de bord", "Leads": "Prospects"}),
        ("en", {"Sign in": "Sign in", "Dashboard": "Dashboard", "Leads": "Leads"}),
    ],
)
def test_django_loads_the_project_catalog(language, expected):
    with translation.override(language):
        translated = {msgid: translation.gettext(msgid) for msgid in expected}

    assert translated == expected


def test_the_check_script_passes_on_the_committed_catalogs(capsys):
    assert check_translations.main([]) == 0
    assert "fr: " in capsys.readouterr().out


def test_the_check_script_lists_missing_fuzzy_broken_and_stale_entries(tmp_path, capsys):
    # given a copy of the French catalog with one entry emptied, one fuzzy, one with a wrong
    # placeholder and one changed after the .mo was compiled
    shutil.copytree(ROOT / "locale" / "fr", tmp_path / "fr")
    po_path = tmp_path / "fr" / "LC_MESSAGES" / "django.po"
    po = polib.pofile(str(po_path))
    po.find("Sign out").msgstr = ""
    po.find("Sign in").flags.append("fuzzy")
    po.find("Welcome, %(name)s").msgstr = "Bienvenue, %(nom)s"
    po.find("Save").msgstr = "Sauvegarder"
    po.save(str(po_path))

    # when
    report = check_translations.check_language("fr", tmp_path)
    status = check_translations.main(["fr", "--locale-dir", str(tmp_path)])

    # then
    assert report.untranslated == ["Sign out"]
    assert report.fuzzy == ["Sign in"]
    assert report.bad_placeholders == ["Welcome, %(name)s"]
    assert sorted(report.stale_mo) == [
        "'Save' differs in the .mo",
        "'Sign in' is in the .mo but not translated in the .po",
        "'Sign out' is in the .mo but not translated in the .po",
        "'Welcome, %(name)s' differs in the .mo",
    ]
    assert status == 1
    assert "untranslated: Sign out" in capsys.readouterr().out


def test_the_check_script_reports_a_missing_mo_file(tmp_path):
    shutil.copytree(ROOT / "locale" / "es", tmp_path / "es")
    (tmp_path / "es" / "LC_MESSAGES" / "django.mo").unlink()

    report = check_translations.check_language("es", tmp_path)

    assert report.stale_mo == [f"{tmp_path / 'es' / 'LC_MESSAGES' / 'django.mo'} is missing"]
    assert not report.ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("fr", ["<h1>Se connecter</h1>", "Mot de passe", "Mot de passe oublié\u00a0?", "Une erreur est survenue."]),
        ("es", ["<h1>Iniciar sesión</h1>", "Contraseña", "¿Olvidaste tu contraseña?", "Algo salió mal."]),
        ("en", ["<h1>Sign in</h1>", "Password", "Forgot your password?", "Something went wrong."]),
    ],
)
def test_login_page_speaks_the_language_cookie_of_an_anonymous_visitor(acme, language, texts):
    client = Client(HTTP_HOST="acme.localhost")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = client.get("/login/")

    body = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}">' in body
    assert response["Content-Language"] == language
    assert [text for text in texts if text not in body] == []


@pytest.mark.django_db
def test_signed_in_user_gets_the_sidebar_and_role_in_their_own_language(owner, client_for):
    owner.user.language = "fr"
    owner.user.save(update_fields=["language"])

    body = client_for(owner).get("/").content.decode()

    assert '<html lang="fr">' in body
    assert "Tableau de bord" in body
    assert "Équipe" in body
    assert "en tant que propriétaire." in body
    assert "Dashboard" not in body


@pytest.mark.django_db
def test_crm_pages_speak_french_to_an_owner_whose_language_is_fr(tenant, owner, client_for):
    # given an owner who reads French (the tenant speaks Spanish) and a lead in the "contacted" stage
    from crm.tests.factories import LeadFactory, stage

    owner.user.language = "fr"
    owner.user.save(update_fields=["language"])
    LeadFactory(first_name="Ana", last_name="Prieto", stage=stage("contacted"), seller=owner.user)
    client = client_for(owner)

    # when
    pages = {url: client.get(url) for url in ("/leads/", "/pipeline/", "/")}

    # then
    bodies = {url: response.content.decode() for url, response in pages.items()}
    assert {url: response.status_code for url, response in pages.items()} == {
        "/leads/": 200,
        "/pipeline/": 200,
        "/": 200,
    }
    assert all('<html lang="fr">' in body for body in bodies.values())
    expected = {
        "/leads/": ["<h1>Prospects</h1>", "Nouveau prospect", "Importer un CSV", "Dernier contact", "Contacté"],
        "/pipeline/": [
            "<h2>Nouveau</h2>",
            "<h2>Contacté</h2>",
            "<h2>Intéressé</h2>",
            "<h2>Négociation</h2>",
            "<h2>Conclu gagné</h2>",
            "<h2>Conclu perdu</h2>",
            "Modifier les étapes",
            "Pourquoi ce prospect a-t-il été perdu\u00a0?",
        ],
        "/": [
            "Tableau de bord",
            "Nouveaux prospects cette semaine",
            "Pipeline par étape",
            "Contacté",
            "1 prospect ouvert",
        ],
    }
    assert {url: [text for text in texts if text not in bodies[url]] for url, texts in expected.items()} == {
        url: [] for url in expected
    }
    english = {
        "/leads/": ["New lead", "Last contact", "Contacted"],
        "/pipeline/": ["Closed won", "Closed lost", "Edit stages", "Why was this lead lost?"],
        "/": ["Dashboard", "New leads this week", "Pipeline by stage", "open lead"],
    }
    assert {url: [text for text in texts if text in bodies[url]] for url, texts in english.items()} == {
        url: [] for url in english
    }
