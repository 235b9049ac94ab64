"""Lists what keeps the translation catalogs from being complete; exit status 1 when anything does.

    .venv/bin/python scripts/check_translations.py           # es and fr complete, en free of fuzzy entries
    .venv/bin/python scripts/check_translations.py fr        # one language

For every language it reports entries that are fuzzy (the header included), entries without a translation
(es and fr; en falls back to the English msgid), translations whose %-placeholders differ from the msgid's,
and a django.mo that is missing or does not match its django.po (run `make messages` to rebuild it).
Needs polib (requirements-dev.txt), not the gettext tools.
"""

from __future__ import annotations

import argparse
import gettext
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "locale"
# Languages whose every msgid needs a msgstr; the others only need to be free of fuzzy entries.
MUST_TRANSLATE = ("es", "fr")
LANGUAGES = ("es", "en", "fr")
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


@dataclass
class Report:
    language: str
    fuzzy: list[str] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)
    bad_placeholders: list[str] = field(default_factory=list)
    stale_mo: list[str] = field(default_factory=list)
    total: int = 0
    translated: int = 0

    @property
    def ok(self) -> bool:
        return not (self.fuzzy or self.untranslated or self.bad_placeholders or self.stale_mo)


def _label(entry: polib.POEntry) -> str:
    return f"[{entry.msgctxt}] {entry.msgid}" if entry.msgctxt else entry.msgid


def _translations(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def _placeholders(text: str) -> set[str]:
    return {match.group(0) for match in _PLACEHOLDER.finditer(text)}


def _placeholders_match(entry: polib.POEntry, texts: list[str]) -> bool:
    """A translation uses exactly the msgid's placeholders; a plural form may leave some out (the count of
    "One lead" is implicit) but never invents one."""
    wanted = _placeholders(entry.msgid) | _placeholders(entry.msgid_plural or "")
    if entry.msgid_plural:
        return all(_placeholders(text) <= wanted for text in texts)
    return _placeholders(texts[0]) == wanted


def _expected_in_mo(entry: polib.POEntry) -> dict:
    """The (key -> text) pairs msgfmt writes for one translated entry, keyed the way gettext reads them."""
    prefix = f"{entry.msgctxt}\x04" if entry.msgctxt else ""
    if entry.msgid_plural:
        return {(prefix + entry.msgid, index): text for index, text in sorted(entry.msgstr_plural.items())}
    return {prefix + entry.msgid: entry.msgstr}


def check_language(language: str, locale_dir: Path = LOCALE_DIR) -> Report:
    report = Report(language=language)
    po_path = locale_dir / language / "LC_MESSAGES" / "django.po"
    mo_path = po_path.with_suffix(".mo")
    po = polib.pofile(str(po_path))
    if po.metadata_is_fuzzy:
        report.fuzzy.append("(header)")
    expected: dict = {}
    for entry in po:
        if entry.obsolete:
            continue
        report.total += 1
        texts = _translations(entry)
        if entry.fuzzy:
            report.fuzzy.append(_label(entry))
            continue
        if all(texts):
            report.translated += 1
            expected.update(_expected_in_mo(entry))
            if not _placeholders_match(entry, texts):
                report.bad_placeholders.append(_label(entry))
        elif language in MUST_TRANSLATE:
            report.untranslated.append(_label(entry))
    report.stale_mo = _stale_mo_entries(mo_path, expected)
    return report


def _stale_mo_entries(mo_path: Path, expected: dict) -> list[str]:
    """Differences between what the compiled catalog holds and what its .po says it should hold."""
    if not mo_path.exists():
        return [f"{mo_path} is missing"]
    with mo_path.open("rb") as handle:
        compiled = dict(gettext.GNUTranslations(handle)._catalog)
    compiled.pop("", None)  # the header
    problems = []
    for key, text in expected.items():
        if compiled.get(key) != text:
            problems.append(f"{key!r} differs in the .mo")
    for key in sorted(compiled.keys() - expected.keys(), key=repr):
        problems.append(f"{key!r} is in the .mo but not translated in the .po")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("languages", nargs="*", default=list(LANGUAGES))
    parser.add_argument("--locale-dir", type=Path, default=LOCALE_DIR)
    args = parser.parse_args(argv)
    failed = False
    for language in args.languages:
        report = check_language(language, args.locale_dir)
        failed = failed or not report.ok
        print(
            f"{language}: {report.translated}/{report.total} translated, {len(report.untranslated)} missing, "
            f"{len(report.fuzzy)} fuzzy, {len(report.bad_placeholders)} bad placeholders, "
            f"{len(report.stale_mo)} stale in django.mo"
        )
        for kind in ("untranslated", "fuzzy", "bad_placeholders", "stale_mo"):
            for item in getattr(report, kind):
                print(f"  {kind}: {item}")
    if failed:
        print("Fill the msgstr, remove '#, fuzzy' after checking, then `make messages`.", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
