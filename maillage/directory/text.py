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
_INCLUSIVE = re.compile(
    r"(?<=[a-z])(?:[·•‧∙⋅]|\.(?=(?:e|es|s|se|ses|rice|rices|trice|trices|euse|euses|ne|nes"
    r"|le|les|te|tes|ere|eres|ive|ives)\b))[a-z]{1,6}(?:[·•‧∙⋅.][a-z]{1,3})?"
)
_WORD = re.compile(r"[a-z0-9]+")
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


def fold(text: str) -> str:
    """Lowercase ``text`` without accents, with plain apostrophes and spelt-out ligatures."""
    # Case folding and decomposition can each reveal characters the other changes ("İ",
    # "ℌ"): repeat until stable, which makes ``fold`` idempotent. ASCII output is stable.
    for _ in range(4):
        folded = _fold_once(text)
        if folded == text or folded.isascii():
            return folded
        text = folded
    return text


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


def stems(text: str) -> list[str]:
    """Stems of the words of ``text``, in order (duplicates kept: term frequencies count)."""
    return [stem(word) for word in tokens(text)]
