"""The viewer's languages: English (the source text) and Chinese (中文), from one catalogue.

Messages are marked with ``_()`` (gettext's convention) where they are written, with named
fields for what varies: ``_("Download the {district} report (PDF)").format(district=...)``.
Their translations live in ``twin/locale/<language>/LC_MESSAGES/twin.po`` (gettext PO files,
read with Babel); ``make i18n`` extracts the marked messages into ``twin/locale/twin.pot`` and
merges them into each catalogue, and ``tests/test_i18n.py`` fails on any marked message a
catalogue does not translate.

The language of a run is set once at the edge (the viewer, from the URL and its switch) with
:func:`set_language`; it is a context variable, so each viewer session's run keeps its own.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path

LANGUAGES = {"en": "English", "zh": "中文"}
SOURCE_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "twin"

_language: ContextVar[str] = ContextVar("twin_language", default=SOURCE_LANGUAGE)


def set_language(language: str) -> str:
    """Make ``language`` (a key of :data:`LANGUAGES`; anything else: English) the language of
    this run's messages; the language set."""
    chosen = language if language in LANGUAGES else SOURCE_LANGUAGE
    _language.set(chosen)
    return chosen


def language() -> str:
    """The language of this run's messages."""
    return _language.get()


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalogue(language: str) -> dict[str, str]:
    """The translated messages of ``language`` (msgid → msgstr; fuzzy and empty ones left out)."""
    if language == SOURCE_LANGUAGE:
        return {}
    from babel.messages.pofile import read_po

    with catalogue_path(language).open("rb") as stream:
        po = read_po(stream, locale=language, domain=DOMAIN)
    return {_key(m.context, str(m.id)): str(m.string) for m in po
            if m.id and m.string and not m.fuzzy and isinstance(m.id, str)}  # fmt: skip


def _key(context: str | None, message: str) -> str:
    """gettext's key of a message: ``context`` EOT ``message`` when it has a context."""
    return f"{context}\x04{message}" if context else message


def _(message: str) -> str:
    """``message`` in this run's language (the English source where no translation exists)."""
    current = _language.get()
    if current == SOURCE_LANGUAGE:
        return message
    return catalogue(current).get(message, message)


def p_(context: str, message: str) -> str:
    """``message`` in this run's language where the same English words mean different things
    (``p_("column", "measured")`` is a column's name, ``_("measured")`` a figure's basis)."""
    current = _language.get()
    if current == SOURCE_LANGUAGE:
        return message
    return catalogue(current).get(_key(context, message), message)


def gettext(message: str) -> str:
    """:func:`_` by its long name."""
    return _(message)


def N_(message: str) -> str:  # noqa: N802 (gettext's name for it)
    """Mark ``message`` for the catalogue where it is defined (a table of labels) without
    translating it there; it is translated where it is shown, with :func:`_`."""
    return message


SOURCES = ("app.py", "app_pages", "twin", "layers")  # where messages are marked
KEYWORDS = {"_": None, "N_": None, "p_": ((1, "c"), 2)}


def marked_messages() -> dict[str, list[str]]:
    """Every message marked with ``_()``, ``N_()`` or ``p_()`` in the sources (a message with a
    context keyed as gettext keys it), with where it is used."""
    from babel.messages.extract import extract_from_file

    root = LOCALE_DIR.parent.parent
    found: dict[str, list[str]] = {}
    scanned = sorted(p for d in SOURCES[1:] for p in (root / d).rglob("*.py"))
    files = [root / "app.py", *scanned]
    for path in files:
        for line, message, _comments, context in extract_from_file(
            "python", str(path), keywords=KEYWORDS
        ):
            if isinstance(message, str) and message:
                found.setdefault(_key(context, message), []).append(
                    f"{path.relative_to(root)}:{line}")  # fmt: skip
    return found


def update_catalogues() -> list[Path]:
    """Write ``twin.pot`` from the marked messages and merge it into every language's PO file
    (translations kept, new messages empty, gone ones dropped); the files written."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    template = Catalog(project="twin", domain=DOMAIN)
    for key, places in marked_messages().items():
        context, _eot, message = key.rpartition("\x04")
        template.add(message, context=context or None,
                     locations=[(p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1])) for p in places])  # fmt: skip
    written = [LOCALE_DIR / f"{DOMAIN}.pot"]
    LOCALE_DIR.mkdir(parents=True, exist_ok=True)
    with written[0].open("wb") as stream:
        write_po(stream, template, omit_header=False, sort_output=True)
    for language in LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        path = catalogue_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as stream:
                po = read_po(stream, locale=language, domain=DOMAIN)
        else:
            po = Catalog(locale=language, domain=DOMAIN, project="twin")
        po.update(template, no_fuzzy_matching=True)
        with path.open("wb") as stream:
            write_po(stream, po, sort_output=True, ignore_obsolete=True)
        written.append(path)
    catalogue.cache_clear()
    return written


if __name__ == "__main__":  # python -m twin.i18n: refresh the catalogues after marking messages
    for written_path in update_catalogues():
        print(written_path)
