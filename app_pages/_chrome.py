"""Streamlit's own words in the page's language: its menu, table toolbar, tooltips and hints.

Streamlit draws its chrome (the app menu, a table's toolbar and its tooltips, the running
indicator, a select's placeholder, a text field's "Press Enter") in English whatever the app's
language, and offers no way to translate it. :func:`speak_chrome` adds a small script to the page
that replaces these exact strings by the catalogue's words, looking only inside the parts of the
page Streamlit draws them in (its menu, toolbars, tooltips, header, sidebar, selects); in English
it puts back the English ones. Only a whole text equal to one of these words is replaced (or one
that opens with "Download as CSV:", "Remove …", "Help for …"), so the page's own words are left
alone unless one is exactly such a word. The words are marked here, so the catalogue test fails
on any left untranslated.
"""

from __future__ import annotations

import json

import streamlit as st

from twin.i18n import LANGUAGES, N_, SOURCE_LANGUAGE, catalogue, language

# every string of Streamlit's chrome a planner meets (streamlit 1.67; a browser test reads them)
CHROME_WORDS = (
    N_("Download as CSV"), N_("Search"), N_("Fullscreen"), N_("Close fullscreen"),
    N_("Show/hide columns"), N_("Print"), N_("Record screen"), N_("Light"), N_("Dark"),
    N_("System"), N_("Theme"), N_("Main menu"), N_("Made with Streamlit v"),
    N_("Copy version to clipboard"), N_("Collapse sidebar"), N_("Expand sidebar"),
    N_("Running..."), N_("Stop"), N_("Press Enter to apply"), N_("Choose an option"),
    N_("Choose options"), N_("No results"), N_("Clear all"), N_("Clear value"),
    N_("Selected values"), N_("Increment"), N_("Decrement"), N_("Download as PNG"),
    N_("Download as SVG"), N_("Show data"), N_("Copy Vega-Lite spec"), N_("Link to heading"),
    N_("App pages"), N_("Sidebar"), N_("Vega visualization"), N_("Select all"), N_("Open"),
    N_("Skip to main content"), N_("Zoom In"), N_("Zoom Out"), N_("Map"),
    N_("Toggle attribution"),
)  # fmt: skip
# words that open a label of the page's own ("Remove 5G 基站", "Help for 区"): said before it
CHROME_PREFIXES = (N_("Remove"), N_("Help for"))
# where Streamlit draws them: its menu, toolbars, tooltips, header, sidebar button, status,
# hints and selects (a page's own words are never in these)
CHROME = (
    ", ".join(
        f'[data-testid="{testid}"]'
        for testid in (
            "stMainMenuPopover",
            "stElementToolbar",
            "stTooltipContent",
            "stHeader",
            "stSidebarCollapseButton",
            "stExpandSidebarButton",
            "stStatusWidget",
            "InputInstructions",
            "stSelectbox",
            "stMultiSelect",
            "stNumberInput",
            "stHeadingWithActionElements",
            "stSidebar",
            "stSidebarNav",
            "stVegaLiteChart",
            "stSkipToContent",
            "stDeckGlJsonChart",
        )
    )
    + ', [role="listbox"], [data-baseweb="popover"]'
)  # a select's options, wherever drawn

SCRIPT = """<script>
(() => {
  const state = window.__twinChrome || (window.__twinChrome = {});
  state.words = %(words)s;
  state.prefixes = %(prefixes)s;
  const SCOPE = %(scope)s, ATTRS = ["aria-label", "title", "placeholder"];
  const own = (words, key) => Object.prototype.hasOwnProperty.call(words, key);
  const put = (text, key, word) => text.replace(key, () => word);  // no "$&" patterns
  const said = (text) => {
    const key = text.trim(), colon = key.indexOf(": ");
    if (own(state.words, key)) return put(text, key, state.words[key]);
    const head = colon > 0 ? key.slice(0, colon) : null;  // "Download as CSV: table"
    if (head !== null && own(state.words, head)) return put(text, head, state.words[head]);
    for (const [prefix, word] of Object.entries(state.prefixes)) {  // "Remove 5G 基站"
      if (key.startsWith(prefix + " ")) return put(text, prefix, word);
    }
    return null;
  };
  const pass = () => {
    state.queued = false;
    for (const scope of document.querySelectorAll(SCOPE)) {
      if (scope.parentElement && scope.parentElement.closest(SCOPE)) continue;  // walked within
      for (const el of [scope, ...scope.querySelectorAll("*")]) {
        for (const attr of ATTRS) {
          const value = el.getAttribute(attr), now = value && said(value);
          if (now && now !== value) el.setAttribute(attr, now);
        }
      }
      const walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) {
        const node = walker.currentNode, now = said(node.nodeValue);
        if (now && now !== node.nodeValue) node.nodeValue = now;
      }
    }
  };
  state.pass = pass;
  if (!state.observer) {
    state.observer = new MutationObserver(() => {
      if (!state.queued) { state.queued = true; requestAnimationFrame(() => state.pass()); }
    });
    state.observer.observe(document.body, {childList: true, subtree: true, characterData: true,
                                           attributes: true, attributeFilter: ATTRS});
  }
  pass();
})();
</script>"""


def chrome_words(shown: str, words: tuple[str, ...] = CHROME_WORDS) -> dict[str, str]:
    """What replaces what in language ``shown``: English → ``shown``'s words, or, in English,
    every other language's words → English (a page switched back to English)."""
    if shown != SOURCE_LANGUAGE:
        there = catalogue(shown)
        return {word: there[word] for word in words if there.get(word, word) != word}
    back: dict[str, str] = {}
    for other in LANGUAGES:
        if other != SOURCE_LANGUAGE:
            there = catalogue(other)
            back |= {there[word]: word for word in words if there.get(word, word) != word}
    return back


def chrome_script(shown: str) -> str:
    """The page's script for language ``shown`` (see the module docstring)."""
    return SCRIPT % {"words": _script_json(chrome_words(shown)),
                     "prefixes": _script_json(chrome_words(shown, CHROME_PREFIXES)),
                     "scope": _script_json(CHROME)}  # fmt: skip


def _script_json(value: object) -> str:
    """``value`` as JSON that cannot close the script it sits in ("</" written "<\\/")."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


def speak_chrome() -> None:
    """Streamlit's chrome in this run's language, from the sidebar's foot (the script draws
    nothing)."""
    st.sidebar.html(chrome_script(language()), unsafe_allow_javascript=True)
