"""Suggest competences from a need written in the applicant's own words (pure, no Django).

Texts are folded (lowercase, accents removed, punctuation as spaces), then each competence is
scored by its keywords (a phrase found in the text weighs more than a single word) and the
words of its label. Plurals and simple inflections match by a short common prefix.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_NON_WORD = re.compile(r"[^a-z0-9]+")
# Words too common in a need to mean anything on their own.
_STOPWORDS_TEXT = """
les des une pour avec dans sur par aux ses son mes mon nos notre votre vos qui que est sont
pas plus tout tous toute toutes entre leur leurs comme mais donc elle ils elles nous vous
faire etre avoir cette ces cet gestion mise place suivi outil outils besoin apprendre savoir
structure projet projets
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def fold(text: str) -> str:
    """Lowercase, without accents, words separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.replace("œ", "oe").replace("æ", "ae")
    return " ".join(_NON_WORD.sub(" ", plain).split())


def _same_word(word: str, token: str) -> bool:
    """``budget``/``budgets``, ``tournee``/``tournees``: equal, or one extends the other by ≤ 2."""
    if word == token:
        return True
    short, long_ = sorted((word, token), key=len)
    return len(short) >= 4 and long_.startswith(short) and len(long_) - len(short) <= 2


@dataclass(frozen=True)
class Candidate:
    id: int
    label: str
    keywords: tuple[str, ...]
    position: int = 0


def score(text: str, candidate: Candidate) -> int:
    folded = fold(text)
    if not folded:
        return 0
    tokens = folded.split()
    padded = f" {folded} "
    total = 0
    for keyword in candidate.keywords:
        key = fold(keyword)
        if not key:
            continue
        if " " in key:
            if f" {key} " in padded:
                total += 3
        elif len(key) >= 3 and any(_same_word(key, token) for token in tokens):
            total += 2
    for word in fold(candidate.label).split():
        if len(word) >= 4 and word not in STOPWORDS and any(_same_word(word, t) for t in tokens):
            total += 1
    return total


def suggest(text: str, candidates: Iterable[Candidate], limit: int = 5) -> list[Candidate]:
    """The best-scoring competences (score > 0), best first, taxonomy order on ties."""
    scored = [(score(text, c), c) for c in candidates]
    ranked = sorted((pair for pair in scored if pair[0] > 0), key=lambda p: (-p[0], p[1].position))
    return [candidate for _, candidate in ranked[:limit]]
