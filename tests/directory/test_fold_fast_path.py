"""The fast paths of directory.text give exactly the results of their definitions.

``fold`` lowers ASCII in C and folds the other characters one by one (remembered), ``stems``
splits ASCII text without a regex and looks stems up in a dictionary, and the inclusive-writing
regex checks its letter after the separator: the index and the matching's scores rely on the
output staying the same, so each shortcut is checked against its definition.
"""

import re
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage.directory import text
from maillage.directory.text import fold, fold_reference, stem, stems, tokens

MANY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# French text with everything the shortcuts treat apart: accents and ligatures, capitals,
# apostrophes, inclusive writing, guillemets and spaces of French typography, digits, and a
# few characters whose fold is long or not ASCII (Greek final sigma, dotted capital I, "ß",
# Cherokee, compatibility and combining characters).
FRENCH = list("abcdefghijklmnopqrstuvwxyzABCDEÉÈÀÇÔŒÆ0129 .,;:!?'’`-·•«»…") + [
    *"éèêëàâäîïôöùûüçœæÿ",
    "\u00a0",
    "\u202f",
    "\u0301",
    "\u0327",
    "Σ",
    "ς",
    "İ",
    "ß",
    "ﬁ",
    "Ꭰ",
    "ꭰ",
    "𝕬",
    "ℌ",
    "½",
    "e·s",
    "·e·s",
    "eur·rice",
    ".e.s",
    ".euse",
    "ée",
]
french_text = st.lists(st.sampled_from(FRENCH), max_size=40).map("".join)
any_text = st.one_of(st.text(), french_text)


@MANY
@given(any_text)
def test_fold_equals_its_definition(value):
    assert fold(value) == fold_reference(value)


@MANY
@given(st.text())
def test_the_definition_works_character_by_character(value):
    assert fold_reference(value) == "".join(fold_reference(char) for char in value)


def test_lowering_never_changes_a_characters_fold():
    # str.lower changes about 1,400 code points; the rest are trivially unchanged.
    changed = [
        chr(code)
        for code in range(sys.maxunicode + 1)
        if not 0xD800 <= code <= 0xDFFF and chr(code).lower() != chr(code)
    ]
    assert len(changed) > 1000
    for char in changed:
        assert fold_reference(char.lower()) == fold_reference(char), repr(char)


@MANY
@given(any_text)
def test_stems_equal_the_stems_of_the_tokens(value):
    assert stems(value) == [stem(word) for word in tokens(value)]


# The inclusive-writing pattern as first written (lookbehind first, tried at every position).
_INCLUSIVE_DEFINITION = re.compile(
    r"(?<=[a-z])(?:[·•‧∙⋅]|\.(?=(?:e|es|s|se|ses|rice|rices|trice|trices|euse|euses|ne|nes"
    r"|le|les|te|tes|ere|eres|ive|ives)\b))[a-z]{1,6}(?:[·•‧∙⋅.][a-z]{1,3})?"
)


@MANY
@given(any_text)
def test_inclusive_pattern_matches_as_its_definition(value):
    folded = fold(value)
    assert text._INCLUSIVE.sub("", folded) == _INCLUSIVE_DEFINITION.sub("", folded)


def test_french_sentences():
    sentence = "Chargé·e·s de production ; « Régisseuse » GÉNÉRALE, cœur d’œuvre…"
    assert fold(sentence) == fold_reference(sentence)
    assert stems(sentence) == [stem(word) for word in tokens(sentence)]
    assert stems(sentence)[:2] == stems("chargé production")


def test_remembered_characters_are_bounded(monkeypatch):
    monkeypatch.setattr(text, "_MAX_REMEMBERED_RUNS", 0)
    monkeypatch.setattr(text, "_FOLDED_RUNS", text._FoldedRuns())
    monkeypatch.setattr(text, "_MAX_REMEMBERED_WORDS", 0)
    monkeypatch.setattr(text, "_WORD_STEMS", text._WordStems())
    assert fold("Ça gère à Béziers «ici»") == "ca gere a beziers «ici»"
    assert stems("Régisseuses") == stems("régisseur")
    assert not text._FOLDED_RUNS and not text._WORD_STEMS


@pytest.mark.parametrize("value", ["", "   ", "ASCII only", "ÉÉÉ", "\u0301", "Ꭰꭰ"])
def test_edge_cases(value):
    assert fold(value) == fold_reference(value)
    assert stems(value) == [stem(word) for word in tokens(value)]
