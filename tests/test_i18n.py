"""Chinese and English from one catalogue: every marked message translated, its fields kept,
the catalogue in step with the code, and translated pages free of unmarked text."""

from __future__ import annotations

import ast
import json
import re
from string import Formatter

import pytest

from twin.i18n import (
    LANGUAGES,
    SOURCE_LANGUAGE,
    _,
    catalogue,
    catalogue_path,
    marked_messages,
    set_language,
)
from twin.settings import PROJECT_ROOT

TRANSLATED = ["zh"]
# every page (a new one included): each message a user reads is marked (only the core's sentences
# stay English)
MARKED_PAGES = [
    "app.py",
    *sorted(f"app_pages/{p.name}" for p in (PROJECT_ROOT / "app_pages").glob("*.py")),
]
UI_CALLS = {"title", "header", "subheader", "caption", "markdown", "warning", "info", "error",
            "success", "button", "toggle", "checkbox", "selectbox", "multiselect", "radio",
            "slider", "select_slider", "text_input", "number_input", "download_button",
            "spinner", "metric", "expander", "progress", "write"}  # fmt: skip


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


@pytest.fixture(scope="module")
def marked():
    return marked_messages()


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_marked_message_is_translated(marked, language):
    translated = catalogue(language)
    missing = sorted(m for m in marked if m not in translated)
    assert not missing, f"{len(missing)} untranslated in {catalogue_path(language)}: {missing[:10]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_every_field(language):
    for message, translation in catalogue(language).items():
        assert _fields(message) == _fields(translation), (message, translation)


def test_the_catalogue_is_in_step_with_the_code(marked):
    """A message marked in the code but absent from the template, or one the code dropped,
    means `make i18n` was not run."""
    from babel.messages.pofile import read_po

    with (PROJECT_ROOT / "twin" / "locale" / "twin.pot").open("rb") as stream:
        template = read_po(stream)
    ids = {f"{m.context}\x04{m.id}" if m.context else m.id for m in template if m.id}
    assert ids == set(marked)


BILINGUAL = {"语言 · Language"}  # the switch itself reads in both languages


def _bare_text(node: ast.AST) -> bool:
    """A literal or f-string with letters in it: text a user reads, not marked."""
    if isinstance(node, ast.Constant) and node.value in BILINGUAL:
        return False
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(re.search(r"[A-Za-z]{2,}", node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_bare_text(v) for v in node.values if isinstance(v, ast.Constant))
    return False


@pytest.mark.parametrize("path", MARKED_PAGES)
def test_marked_pages_show_no_unmarked_text(path):
    tree = ast.parse((PROJECT_ROOT / path).read_text(encoding="utf-8"))
    bare = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
                node.func.attr in UI_CALLS):  # fmt: skip
            labels = list(node.args[:1]) + [k.value for k in node.keywords
                                            if k.arg in ("help", "text", "placeholder", "label")]  # fmt: skip
            bare += [f"{path}:{node.lineno}" for arg in labels if _bare_text(arg)]
    assert not bare, bare


def test_the_language_switch_changes_the_words_and_english_stays_the_source():
    try:
        assert set_language("zh") == "zh"
        assert _("Coverage map") == "覆盖地图" and _("not met") == "未达标"
        assert _("a message nobody marked") == "a message nobody marked"
        assert set_language("klingon") == SOURCE_LANGUAGE
        assert _("Coverage map") == "Coverage map"
    finally:
        set_language(SOURCE_LANGUAGE)
    assert set(LANGUAGES) == {"en", "zh"}


def test_no_message_is_marked_where_the_extractor_cannot_see_it():
    """``_("literal")`` inside an f-string is invisible to the catalogue's extractor: never
    there (``_(variable)`` of a term marked elsewhere with ``N_`` is fine)."""
    hidden = []
    for path in [PROJECT_ROOT / "app.py", *sorted((PROJECT_ROOT / "app_pages").glob("*.py")),
                 *sorted((PROJECT_ROOT / "twin").rglob("*.py"))]:  # fmt: skip
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                hidden += [f"{path.name}:{c.lineno}" for c in ast.walk(node)
                           if isinstance(c, ast.Call) and getattr(c.func, "id", "") in ("_", "p_")
                           and any(isinstance(a, ast.Constant) for a in c.args)]  # fmt: skip
    assert not hidden, hidden


def test_the_data_pages_datum_doubts_speak_the_pages_language():
    from twin.datum import DatumFit

    doubt = DatumFit("wgs84", {"wgs84": 300.0, "gcj02": 20.0, "bd09": 400.0}, 20)
    unsure = DatumFit("wgs84", {"wgs84": 45.0, "gcj02": 44.0, "bd09": 55.0}, 300)
    assert doubt.declared_is_worse and unsure.unconfirmed
    try:
        set_language("zh")
        for fit in (doubt, unsure):
            text = fit.message(_("the sites of {name}").format(name="amap.csv"), page=True)
            assert "坐标系" in text and "--crs" not in text and "amap.csv 中的站点" in text
    finally:
        set_language(SOURCE_LANGUAGE)
    assert "--crs gcj02" in doubt.message("the sites of amap.csv")  # the command line's words


def test_every_core_sentence_reads_back_in_chinese():
    """Each template the core writes its sentences from (marked in twin/ or layers/), filled with
    values, is recognised and written in Chinese with the same values: none is ambiguous with
    another, none stays English."""
    import string

    from twin.i18n import _core_messages, in_language, sentence

    zh = catalogue("zh")
    # a template of fields and punctuation alone ("{reason}: {count}") has no words of its own:
    # it is read when its fields translate (tested with the import report), else left as it is
    worded = re.compile(r"[A-Za-z]")
    templates = [m for m in _core_messages() if "{" in m and "{{" not in m and m in zh
                 and worded.search(re.sub(r"\{\w+\}", "", m))]  # fmt: skip
    assert len(templates) > 30
    for template in templates:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f]
        # values as the core's are: with separators and brackets of their own
        values = {f: f"V{i}x(a; b, c)" for i, f in enumerate(dict.fromkeys(fields))}
        with in_language("zh"):
            assert sentence(template.format(**values)) == zh[template].format(**values), template


def test_what_would_settle_a_layer_names_it_as_a_noun_in_chinese():
    """Each layer's "a real inventory of …" is a whole sentence: the lockers' noun is not read
    as the count unit ("个快递柜组的真实清单" was)."""
    from twin import layers
    from twin.analysis.report import SETTLE_LAYER, _settle_layer
    from twin.i18n import in_language, sentence

    assert set(SETTLE_LAYER) == set(layers.REGISTRY)
    for layer in layers.REGISTRY:
        with in_language("zh"):
            text = sentence(_settle_layer(layer, "hongkou"))
        assert text.endswith("可使其成为实测结论") and not text.startswith("个"), text
        assert f"--layer {layer} FILE" in text and "inventory" not in text


def test_joined_sentences_read_as_their_parts():
    """Sentences the core joins (what would settle a row, a reason and its count, a list with
    "and") read part by part, never as a generic template straddling the joint."""
    from twin.analysis.report import _settle_layer, _settle_streets
    from twin.i18n import in_language, sentence

    settle = "; ".join([_settle_streets("minhang"), _settle_layer("charging", "minhang")])
    cases = {
        settle: "该区的街道数据（联网运行 twin fetch minhang，或 --osm-file EXTRACT）可沿街道测算步行；"
                "充电站的真实清单（twin import minhang --layer charging FILE）可使其成为实测结论",
        "duplicate of an earlier row: 4": "与前面的行重复：4",
        "outside Minhang: 12": "位于闵行区以外：12",
        "3 fit WGS-84 clearly best and 5 fit GCJ-02 clearly best":
            "3 个明显最吻合 WGS-84 和 5 个明显最吻合 GCJ-02",
    }  # fmt: skip
    with in_language("zh"):
        for english, chinese in cases.items():
            assert sentence(english, {"Minhang": "闵行区"}) == chinese, english
        assert sentence("an English sentence no template knows; kept") == (
            "an English sentence no template knows; kept")  # fmt: skip


def test_streamlits_chrome_words_go_both_ways():
    """Each of Streamlit's chrome words has its Chinese, and an English page maps them back."""
    from app_pages._chrome import CHROME_WORDS, chrome_script, chrome_words

    there = chrome_words("zh")
    assert set(there) == set(CHROME_WORDS)
    assert all(re.search(r"[\u4e00-\u9fff]", said) for said in there.values())
    back = chrome_words("en")
    assert {back[said] for said in there.values()} == set(CHROME_WORDS)
    assert json.dumps(there["Print"], ensure_ascii=False) in chrome_script("zh")


def test_a_list_of_words_is_joined_by_the_enumeration_comma():
    """Categories listed in a core sentence read "公园与广场、日常购物" in Chinese (a list of the
    catalogue's nouns), while clauses keep "，" (the reader cannot tell from ", " alone)."""
    from twin.i18n import in_language, sentence

    with in_language("zh"):
        listed = sentence("no POIs in categories Parks and squares, Daily shopping, Sport; "
                          "their access is not measured.")  # fmt: skip
        assert "公园与广场、日常购物、体育" in listed and "，" not in listed
        # a template's field holding the list reads the same (a gap's shortfall)
        assert sentence("beyond 15 min: Culture, Health care") == "超过 15 分钟：文化、医疗卫生"
