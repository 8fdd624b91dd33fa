"""The viewer's languages: English (the source text) and Chinese (中文), from one catalogue.

Messages are marked with ``_()`` (gettext's convention) where they are written, with named
fields for what varies: ``_("Download the {district} report (PDF)").format(district=...)``.
Their translations live in ``twin/locale/<language>/LC_MESSAGES/twin.po`` (gettext PO files,
read with Babel); ``make i18n`` extracts the marked messages into ``twin/locale/twin.pot`` and
merges them into each catalogue, and ``tests/test_i18n.py`` fails on any marked message a
catalogue does not translate.

The language of a run is set once at the edge (the viewer, from the URL and its switch) with
:func:`set_language` (or :func:`in_language` for one document); it is a context variable, so
each viewer session's run keeps its own.

**Sentences the core writes** (a report row's detail, what would settle it, the notes, a gap's
shortfall) stay English in twin's data (``--json``, the stored report, exports), so a figure reads
the same wherever it goes. Their templates are marked with ``N_()`` where they are written and
filled with :meth:`str.format`; :func:`sentence` turns such a sentence into the run's language at
the edge, by matching it against the catalogue's templates and translating the filled-in values
in turn (a category, a unit). A sentence no template matches is shown as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
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


@contextmanager
def in_language(language: str) -> Iterator[str]:
    """Messages in ``language`` inside the block (a PDF in Chinese), the run's language after."""
    token = _language.set(language if language in LANGUAGES else SOURCE_LANGUAGE)
    try:
        yield _language.get()
    finally:
        _language.reset(token)


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


_CJK = re.compile(r"[\u3400-\u9fff]")


def bilingual(label: str) -> str:
    """A label written in both languages, English first ("Kindergarten 幼儿园", a GB 50180
    facility type in the norms), as the run's language shows it: its Chinese part in Chinese,
    the whole label in English. A label without Chinese is translated as any message.

    >>> with in_language("zh"):
    ...     bilingual("Fresh market / supermarket 菜市场或生鲜超市")
    '菜市场或生鲜超市'
    >>> bilingual("Kindergarten 幼儿园")
    'Kindergarten 幼儿园'
    """
    if _language.get() == SOURCE_LANGUAGE:
        return label
    found = _CJK.search(label)
    return label[found.start() :].strip() if found else _(label)


_FIELD = re.compile(r"\{(\w+)\}")
_PARTS = ("; ", ": ", ", ", " and ")  # how the core joins sentences and their parts


@cache
def _core_messages() -> frozenset[str]:
    """The messages marked in the core (``twin/``, ``layers/``), from the template's locations."""
    from babel.messages.pofile import read_po

    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as stream:
        template = read_po(stream, domain=DOMAIN)
    return frozenset(str(m.id) for m in template if m.id and isinstance(m.id, str)
                     and any(path.startswith(("twin/", "layers/")) for path, _line in m.locations))  # fmt: skip


@dataclass(frozen=True)
class _Template:
    """A message as its literal pieces around named fields: ``literals[i]`` precedes
    ``fields[i]``, ``literals[-1]`` closes it."""

    literals: tuple[str, ...]
    fields: tuple[str, ...]
    translation: str

    def match(self, text: str) -> dict[str, str] | None:
        """The field values that make ``text`` (each non-empty, its brackets balanced, a field
        named twice the same both times), the shortest first; None when none do."""
        head, tail = self.literals[0], self.literals[-1]
        if not (text.startswith(head) and text.endswith(tail)) or len(text) < len(head) + len(tail):
            return None
        if any(piece not in text for piece in self.literals[1:-1]):
            return None
        return self._fields(text, len(head), 0, {})

    def _fields(self, text: str, at: int, i: int, found: dict[str, str]) -> dict[str, str] | None:
        name, after = self.fields[i], self.literals[i + 1]
        last = i == len(self.fields) - 1
        end = len(text) - len(after) if last else text.find(after, at + 1)
        while end > at:
            value = text[at:end]
            if _balanced(value) and found.get(name, value) == value:
                if last:
                    return {**found, name: value}
                rest = self._fields(text, end + len(after), i + 1, {**found, name: value})
                if rest is not None:
                    return rest
            if last:
                return None
            end = text.find(after, end + 1)
        return None


def _balanced(text: str) -> bool:
    depth = 0
    for c in text:
        depth += (c in "([（") - (c in ")]）")
        if depth < 0:
            return False
    return depth == 0


@cache
def _templates(language: str) -> tuple[_Template, ...]:
    """The core's messages with named fields (most literal text first), with translations."""
    found = []
    core = _core_messages()
    for message, translation in catalogue(language).items():
        if message not in core or not _FIELD.search(message) or "{{" in message:
            continue
        pieces = _FIELD.split(message)  # literal, field, literal, field, ..., literal
        found.append(_Template(tuple(pieces[0::2]), tuple(pieces[1::2]), translation))
    found.sort(key=lambda t: -sum(map(len, t.literals)))
    return tuple(found)


MAX_SENTENCE = 2000  # characters: a longer text is only split at its joints, never matched whole


def sentence(text: str, names: Mapping[str, str] | None = None) -> str:
    """A sentence the core wrote in English from a marked template, in this run's language;
    ``names`` translates proper nouns its fields may hold (``{"Hongkou": "虹口区"}``).

    Every reading is weighed by how many of the sentence's letters it translates (a template's
    own words, and its fields' in turn); the reading that translates most wins, and among equals
    the one whose fields do not straddle a joint ("; ", ": ", ", ", " and "). So "duplicate of an
    earlier row: 4" reads as a reason and its count, not as "{unserved} of {residents}"."""
    current = _language.get()
    if current == SOURCE_LANGUAGE or not text:
        return text
    return _reading(text, current, 0, names or {}, {})[0]


_Reading = tuple[str, int, int]  # the text read, letters translated, joints straddled by fields


def _open_joints(text: str) -> int:
    """Joints outside any brackets: where a field's value would straddle two sentences."""
    depth = count = 0
    for i, c in enumerate(text):
        depth += (c in "([（") - (c in ")]）")
        if depth == 0 and any(text.startswith(j, i) for j in _PARTS):
            count += 1
    return count


def _letters(text: str) -> int:
    return sum(c.isascii() and c.isalpha() for c in text)


def _reading(
    text: str, current: str, depth: int, names: Mapping[str, str], seen: dict[str, _Reading]
) -> _Reading:
    if text in seen:
        return seen[text]
    words = catalogue(current)
    capital = text[:1].upper() + text[1:]  # a label lower-cased inside a sentence
    exact = words.get(text) or names.get(text) or (words.get(capital) if capital != text else None)
    if exact is not None:
        seen[text] = (exact, _letters(text), 0)
        return seen[text]
    best: _Reading = (text, 0, 0)
    if depth > 4 or not any(c.isalpha() for c in text):
        return best
    if _is_list(text, words, names):
        # a list of the catalogue's nouns (categories, facilities): "、" between its items
        listed = [_reading(item, current, depth + 1, names, seen) for item in text.split(", ")]
        joint = LIST_JOINT.get(current, JOINTS[", "])
        seen[text] = (joint.join(r[0] for r in listed), sum(r[1] for r in listed), 0)
        return seen[text]
    candidates: list[_Reading] = []
    if len(text) <= MAX_SENTENCE:
        for template in _templates(current):
            values = template.match(text)
            if values is None:
                continue
            read = {k: _reading(v, current, depth + 1, names, seen) for k, v in values.items()}
            try:
                written = template.translation.format(**{k: r[0] for k, r in read.items()})
            except (KeyError, IndexError, ValueError):  # a damaged catalogue entry: not this one
                continue
            own = sum(_letters(piece) for piece in template.literals)
            # a field holding a list of words straddles no joint: its commas are the list's
            straddled = sum(_open_joints(v) for v in values.values()
                            if not _is_list(v, words, names))  # fmt: skip
            candidates.append((written, own + sum(r[1] for r in read.values()),
                               straddled + sum(r[2] for r in read.values())))  # fmt: skip
    for joint in _PARTS:  # sentences joined: each on its own (never cut inside brackets)
        pieces = text.split(joint)
        if len(pieces) > 1 and all(_balanced(piece) for piece in pieces):
            parts = [_reading(part, current, depth + 1, names, seen) for part in pieces]
            candidates.append((JOINTS[joint].join(r[0] for r in parts), sum(r[1] for r in parts),
                               sum(r[2] for r in parts)))  # fmt: skip
    for candidate in candidates:  # most letters translated, then fewest joints straddled
        if (candidate[1], -candidate[2]) > (best[1], -best[2]):
            best = candidate
    seen[text] = best
    return best


JOINTS = {"; ": "；", ": ": "：", ", ": "，", " and ": " 和 "}
LIST_JOINT = {"zh": "、"}  # between the items of a list of words, not of clauses


def _is_list(text: str, words: Mapping[str, str], names: Mapping[str, str]) -> bool:
    """Whether ``text`` lists two or more of the catalogue's words or names ("Culture, Health
    care"): its commas join items, not clauses."""
    items = text.split(", ")
    return len(items) > 1 and all(_is_word(item, words, names) for item in items)


def _is_word(text: str, words: Mapping[str, str], names: Mapping[str, str]) -> bool:
    """Whether ``text`` is one of the catalogue's messages or a name, as a whole (a noun of a
    list such as "Parks and squares"), not a sentence read from a template."""
    return text in words or text in names or (text[:1].upper() + text[1:]) in words


def joined(parts: Iterable[str], joint: str = "; ") -> str:
    """``parts`` joined as the run's language joins them ("; " is "；" in Chinese; ", " is "、").

    >>> with in_language("zh"):
    ...     joined(["幼儿园", "小学"], ", ")
    '幼儿园、小学'
    """
    if _language.get() == "zh":
        return {"; ": "；", ", ": "、"}.get(joint, JOINTS.get(joint, joint)).join(parts)
    return joint.join(parts)


def brackets() -> tuple[str, str]:
    """The brackets of an aside in the run's language, with the space English puts before:
    (" (", ")") in English, ("（", "）") in Chinese."""
    return ("（", "）") if _language.get() == "zh" else (" (", ")")


_DISTANCE = re.compile(r" \(([\d,.]+ m)\)$")


def place_text(place: str) -> str:
    """A place named with its distance as the run's language brackets it: "凉城四村（88 m）" in
    Chinese for the core's "凉城四村 (88 m)" (:meth:`twin.analysis.places.PlaceNamer.near`).

    >>> with in_language("zh"):
    ...     place_text("凉城四村 (88 m)")
    '凉城四村（88 m）'
    >>> place_text("Handan Road (1,200 m)")
    'Handan Road (1,200 m)'
    """
    if _language.get() != "zh":
        return place
    return _DISTANCE.sub(r"（\1）", place)


def aside(text: str) -> str:
    """``text`` in brackets after what it qualifies, as the run's language writes them:
    " (calibrated)" in English, "（校准）" in Chinese ("" for no text)."""
    if not text:
        return ""
    opening, closing = brackets()
    return f"{opening}{text}{closing}"


def sentences(*parts: str) -> str:
    """Sentences joined and closed as the run's language writes them: "A. B." in English,
    "A。B。" in Chinese (empty parts left out).

    >>> sentences("3 sites by 2025", "Budgets: 5 a year")
    '3 sites by 2025. Budgets: 5 a year.'
    >>> with in_language("zh"):
    ...     sentences("截至 2025 年共 3 个站点", "预算：每年 5 个")
    '截至 2025 年共 3 个站点。预算：每年 5 个。'
    """
    kept = [p.rstrip(" .。") for p in parts if p and p.strip()]
    if _language.get() == "zh":
        return "".join(f"{p}。" for p in kept)
    return " ".join(f"{p}." for p in kept)


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
    _core_messages.cache_clear()
    _templates.cache_clear()
    return written


if __name__ == "__main__":  # python -m twin.i18n: refresh the catalogues after marking messages
    for written_path in update_catalogues():
        print(written_path)
