"""Vietnamese first: every interface string of our apps has a Vietnamese translation in its own
app's catalogue, one meaning has one translation across apps (the apps' catalogues are merged at
run time and the first app wins, so two translations of one msgid silently pick one), and the
compiled .mo files say what the .po files say.

The strings used in code are found the way `makemessages` finds them (Django's `templatize` for
templates, then a gettext keyword scan), without needing GNU gettext on the machine."""

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils.translation import templatize

APPS = ["market", "catalog", "search", "orders", "ledger", "quotes", "frontend"]
ROOT = Path(settings.BASE_DIR)
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}


def _po(app):
    with open(ROOT / app / "locale/vi/LC_MESSAGES/django.po", "rb") as f:
        return read_po(f)


def _text(string) -> tuple:
    return tuple(string) if isinstance(string, list | tuple) else (string,)


def _key(message) -> tuple:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return (message.context, msgid)


def _used_in_code(app) -> dict[tuple, str]:
    """(context, msgid) -> where, for every translatable string of the app's code and templates."""
    found = {}
    for path in sorted((ROOT / app).rglob("*")):
        if "migrations" in path.parts or "locale" in path.parts:
            continue
        if path.suffix == ".py":
            source = path.read_bytes()
        elif path.suffix in (".html", ".txt") and "templates" in path.parts:
            code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
            # Python-looking text (xgettext reads it leniently); the tokenizer wants no indents.
            source = "\n".join(line.lstrip() for line in code.splitlines()).encode()
        else:
            continue
        for _line, msg, _comments, context in extract(
            "python", io.BytesIO(source), keywords=KEYWORDS
        ):
            msgid = msg if isinstance(msg, str) else msg[0]
            if msgid:
                found[(context, msgid)] = str(path.relative_to(ROOT))
    return found


@pytest.mark.parametrize("app", APPS)
def test_every_string_in_the_code_has_a_vietnamese_translation_in_its_app(app):
    catalogue = {_key(m): m for m in _po(app) if m.id}

    missing = [
        (where, key)
        for key, where in _used_in_code(app).items()
        if key not in catalogue or not catalogue[key].string or catalogue[key].fuzzy
    ]

    assert missing == []


@pytest.mark.parametrize("app", APPS)
def test_no_entry_is_left_empty_fuzzy_or_with_broken_placeholders(app):
    catalogue = _po(app)

    empty = [_key(m) for m in catalogue if m.id and (m.fuzzy or not all(_text(m.string)))]
    broken = [(_key(m), [str(e) for e in errors]) for m, errors in catalogue.check()]

    assert empty == []
    assert broken == []


def test_one_msgid_has_one_translation_across_apps():
    translations: dict[tuple, dict[str, object]] = {}
    for app in APPS:
        for m in _po(app):
            if m.id:
                translations.setdefault(_key(m), {})[app] = m.string

    conflicts = {k: v for k, v in translations.items() if len(set(map(_text, v.values()))) > 1}

    assert conflicts == {}


@pytest.mark.parametrize("app", APPS)
def test_the_compiled_catalogue_matches_its_source(app):
    with open(ROOT / app / "locale/vi/LC_MESSAGES/django.mo", "rb") as f:
        compiled = {_key(m): _text(m.string) for m in read_mo(f) if m.id}

    source = {_key(m): _text(m.string) for m in _po(app) if m.id and not m.fuzzy}

    assert compiled == source
