"""French text normalisation for the directory search index (no Django import).

Pipeline: ``fold`` (lowercase, no accents, plain apostrophes, œ/æ spelt out), ``tokens``
(words without French stop words and without inclusive-writing suffixes), ``stems`` (gender
normalisation, then the French Snowball stemmer). Index and queries go through the same
functions, so a stem only has to be consistent, not linguistically perfect.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_LIGATURES = str.maketrans(
    {
        "œ": "oe",
        "æ": "ae",
        "ß": "ss",
        "’": "'",
        "ʼ": "'",
        "‘": "'",
        "`": "'",
        "´": "'",
        "′": "'",
    }
)

# Short grammatical words that never help to find someone. "son" (sound) and "sons" are
# deliberately absent: in this sector they are a trade ("ingénieur du son").
# fmt: off
STOP_WORDS = frozenset({
    "a", "ai", "as", "au", "aux", "avec", "c", "ce", "ceci", "cela", "ces", "cet", "cette", "ci",
    "d", "dans", "de", "des", "du", "elle", "elles", "en", "entre", "es", "est", "et", "etc",
    "eu", "ici", "il", "ils", "j", "je", "l", "la", "le", "les", "leur", "leurs", "lui", "m",
    "ma", "mais", "me", "meme", "mes", "moi", "mon", "n", "ne", "ni", "nos", "notre", "nous",
    "on", "ont", "ou", "par", "pas", "peu", "plus", "pour", "qu", "que", "quel", "quelle",
    "quelles", "quels", "qui", "s", "sa", "sans", "se", "ses", "si", "sur", "t", "ta", "te",
    "tes", "toi", "ton", "tu", "un", "une", "uns", "unes", "vos", "votre", "vous", "y", "ete",
    "etre", "fait", "faire", "tres", "tout", "tous", "toute", "toutes", "aussi", "ainsi", "comme",
    "dont", "donc", "alors", "car", "afin", "chez", "depuis", "selon", "sous", "vers", "via",
})
# fmt: on

# Inclusive writing: "chargé·e·s", "directeur·rice", "régisseur.euse" keep only the first form.
# The separator comes first and the letter before it is checked by a lookbehind after it:
# the same matches as "(?<=[a-z])(?:…)", but the regex engine jumps from separator to
# separator instead of trying every position (three times faster on long texts).
_INCLUSIVE = re.compile(
    r"(?:[·•‧∙⋅]|\.(?=(?:e|es|s|se|ses|rice|rices|trice|trices|euse|euses|ne|nes"
    r"|le|les|te|tes|ere|eres|ive|ives)\b))(?<=[a-z].)[a-z]{1,6}(?:[·•‧∙⋅.][a-z]{1,3})?"
)
_WORD = re.compile(r"[a-z0-9]+")
_SPACES = str.maketrans(
    {chr(code): " " for code in range(128) if not (chr(code).islower() or chr(code).isdigit())}
)
# Longest stored term (IndexTerm.term max_length); longer words are cut identically at query time.
MAX_TERM_LENGTH = 40

# Feminine (and plural feminine) endings mapped to the masculine before stemming, because the
# Snowball stemmer, fed with unaccented words, keeps them apart ("regisseuse" -> "regiss",
# "regisseur" -> "regisseur"). Longest suffix first; a minimal length protects short words.
_GENDER_SUFFIXES: tuple[tuple[str, str, int], ...] = (
    ("trices", "teurs", 7),
    ("trice", "teur", 6),
    ("euses", "eurs", 7),
    ("euse", "eur", 6),
    ("ieres", "iers", 7),
    ("iere", "ier", 6),
    ("eures", "eurs", 7),
    ("eure", "eur", 6),
    ("eres", "ers", 7),
    ("ere", "er", 6),
    ("ees", "es", 5),
    ("ee", "e", 4),
    ("ennes", "ens", 7),
    ("enne", "en", 6),
    ("ives", "ifs", 6),
    ("ive", "if", 5),
)
# The stemmer recognises the noun suffix "-ité" only with its accent: put it back
# ("comptabilite" -> "comptabilité", which then meets "comptable").
_ACCENTED_SUFFIXES: tuple[tuple[str, str], ...] = (("ites", "ités"), ("ite", "ité"))

# Agent nouns meet the name of their activity: "producteur"/"production" -> "product",
# "directeur"/"direction" -> "direct". Only long stems, so "auteur" or "acteur" stay whole.
_AGENT_SUFFIX = "teur"
_AGENT_MIN_LENGTH = 7
# The one trade of the sector whose agent noun does not derive regularly from its activity.
_DERIVATIONS = {"regisseur": "reg"}

_stemmer = snowballstemmer.stemmer("french")


# The combining marks of Latin accents; any other mark is removed by the slower general path.
_LATIN_MARKS = re.compile("[\u0300-\u036f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
# Distinct runs of non-ASCII characters remembered with their fold: a bound, because search
# queries are typed by anyone (a French text has a few dozen distinct runs: "é", "’", "\xa0»").
_MAX_REMEMBERED_RUNS = 20_000


def _fold_once(text: str) -> str:
    text = text.translate(_LIGATURES).casefold()
    if text.isascii():
        return text
    # Decomposition can reveal capitals ("𝕬" -> "A") that case folding must then lower.
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    text = _LATIN_MARKS.sub("", text)
    if not text.isascii():
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.translate(_LIGATURES)


def fold_reference(text: str) -> str:
    """The definition of ``fold``, by whole-text Unicode normalisation (slow on long texts)."""
    # Case folding and decomposition can each reveal characters the other changes ("İ",
    # "ℌ"): repeat until stable, which makes ``fold`` idempotent. ASCII output is stable.
    for _ in range(4):
        folded = _fold_once(text)
        if folded == text or folded.isascii():
            return folded
        text = folded
    return text


class _FoldedRuns(dict[str, str]):
    def __missing__(self, run: str) -> str:
        folded = "".join([fold_reference(char) for char in run])
        if len(self) < _MAX_REMEMBERED_RUNS:
            self[run] = folded
        return folded


_FOLDED_RUNS = _FoldedRuns()


def _fold_run(match: re.Match[str]) -> str:
    return _FOLDED_RUNS[match.group()]


# The non-ASCII letters of everyday French, replaced with str.replace (a C loop each).
_FRENCH_LETTERS = tuple((char, fold_reference(char)) for char in "éèàçêôîûâëïüùœ’æäöÿ")


def fold(text: str) -> str:
    """Lowercase ``text`` without accents, with plain apostrophes and spelt-out ligatures.

    Same result as ``fold_reference``, some 30 times faster on French texts: every step of the
    definition (case folding, compatibility decomposition, removal of combining marks, the
    ligature table) works character by character, so the text is the concatenation of its
    characters' folds; and ``str.lower`` never changes a character's fold (tests check both,
    the latter for every code point). So: ASCII lowered in C, the usual French letters
    replaced, and the runs of any other characters folded by the (remembered) definition.
    """
    text = text.lower()
    if not text.isascii():
        for char, folded in _FRENCH_LETTERS:
            if char in text:
                text = text.replace(char, folded)
        if not text.isascii():
            text = _NON_ASCII.sub(_fold_run, text)
    return text.replace("`", "'")


def tokens(text: str) -> list[str]:
    """Folded words of ``text``, in order, without stop words or inclusive suffixes."""
    folded = _INCLUSIVE.sub("", fold(text))
    return [word for word in _WORD.findall(folded) if len(word) > 1 and word not in STOP_WORDS]


def normalise_gender(word: str) -> str:
    """Map a folded feminine form to the masculine one ("programmatrice" -> "programmateur")."""
    for suffix, replacement, min_length in _GENDER_SUFFIXES:
        if word.endswith(suffix) and len(word) >= min_length:
            return word[: -len(suffix)] + replacement
    return word


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Stem of one folded token; the result is folded too (ASCII letters and digits)."""
    if word.isdigit():
        return word[:MAX_TERM_LENGTH]
    word = normalise_gender(word)
    for suffix, accented in _ACCENTED_SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix) + 3:
            word = word[: -len(suffix)] + accented
            break
    root = fold(_stemmer.stemWord(word))
    if root.endswith(_AGENT_SUFFIX) and len(root) >= _AGENT_MIN_LENGTH:
        root = root[:-3]
    return _DERIVATIONS.get(root, root)[:MAX_TERM_LENGTH]


class _WordStems(dict[str, str | None]):
    """Stem of each folded word met so far, None for words ``tokens`` drops (stop words)."""

    def __missing__(self, word: str) -> str | None:
        value = stem(word) if len(word) > 1 and word not in STOP_WORDS else None
        if len(self) < _MAX_REMEMBERED_WORDS:
            self[word] = value
        return value


# Bounded like ``stem``'s cache: search queries are typed by anyone.
_MAX_REMEMBERED_WORDS = 65536
_WORD_STEMS = _WordStems()


def stems(text: str) -> list[str]:
    """Stems of the words of ``text``, in order (duplicates kept: term frequencies count)."""
    # ``[stem(w) for w in tokens(text)]`` with one dictionary lookup per word (C-level map):
    # a profile text has a hundred words, a call a few thousand texts.
    folded = _INCLUSIVE.sub("", fold(text))
    # On ASCII, mapping non-word characters to spaces and splitting (C loops) finds the words
    # of ``_WORD.findall`` three times faster.
    words = folded.translate(_SPACES).split() if folded.isascii() else _WORD.findall(folded)
    return [root for root in map(_WORD_STEMS.__getitem__, words) if root is not None]
