"""Every page string exists in Swedish and Norwegian, and what is served is what was written.

A string left untranslated shows up in English in the middle of a Swedish page; a fuzzy one
(makemessages' guess from a similar old string) is usually wrong; a .po edited without
compiling changes nothing users see.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"
LANGUAGES = ["sv", "nb"]


def _key(entry: polib.POEntry | polib.MOEntry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated(language: str) -> None:
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert len(po) > 500  # the file is the project's, not an empty stand-in
    untranslated = [e.msgid for e in po.untranslated_entries() if not e.obsolete]
    fuzzy = [e.msgid for e in po.fuzzy_entries() if not e.obsolete]
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_the_source(language: str) -> None:
    folder = LOCALE / language / "LC_MESSAGES"
    po = polib.pofile(str(folder / "django.po"))
    mo = polib.mofile(str(folder / "django.mo"))
    compiled = {_key(e): (e.msgstr, e.msgstr_plural) for e in mo}
    stale = []
    for entry in po.translated_entries():
        if entry.obsolete:
            continue
        got = compiled.get(_key(entry))
        want = (entry.msgstr, entry.msgstr_plural)
        if got is None or (got[0] != want[0] if not entry.msgid_plural else got[1] != want[1]):
            stale.append(entry.msgid)
    assert not stale, (
        f"django.mo is out of date for {len(stale)} strings (run `trygg compilemessages`), "
        f"e.g. {stale[:5]}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_string_is_translated_once(language: str) -> None:
    """Two branches that each add the same string leave it twice in a merged .po: gettext's
    compiler then refuses the whole file, and which translation users see is chance."""
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    counts = Counter(_key(e) for e in po if not e.obsolete)
    twice = sorted(msgid for (_, msgid), n in counts.items() if n > 1)
    assert not twice, f"{len(twice)} strings are in the file twice, e.g. {twice[:5]}"
