"""The vectorised scorer and its stored explanations against the reference ``score_pair``.

``Scorer.all_candidates`` feeds the engine and ``Scorer.explained`` writes the proposals'
components without scoring the pairs again: both must give exactly the reference's totals and
the JSON of its components, on a realistic call and on arbitrary profiles.
"""

import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage.pairing import scoring
from maillage.pairing.scoring import MentorProfile, NeedProfile, Weights
from tests.pairing.test_scoring import mentors, needs, weights

DEPARTEMENTS = ["09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82", ""]
WORDS = [f"mot{i}" for i in range(400)]


def realistic_call(
    seed: int = 3, need_count: int = 300, mentor_count: int = 120
) -> tuple[list[NeedProfile], list[MentorProfile]]:
    """A call shaped like the demo's: domains of competences, Zipf words, Occitanie, gaps."""
    rng = random.Random(seed)
    domains = {d: [d * 100 + c for c in range(8)] for d in range(8)}
    weights_ = [1.0 / (i + 1) for i in range(len(WORDS))]

    def words(low: int, high: int) -> tuple[str, ...]:
        return tuple(rng.choices(WORDS, weights=weights_, k=rng.randint(low, high)))

    def place() -> tuple[float | None, float | None]:
        if rng.random() < 0.05:
            return None, None
        return rng.uniform(42.5, 44.9), rng.uniform(0.0, 4.8)

    def formats() -> frozenset[str]:
        return frozenset(f for f in scoring.FORMATS if rng.random() < 0.4)

    def months(chance: float) -> frozenset[int]:
        if rng.random() < chance:
            return frozenset()
        start = rng.randint(1, 12)
        return frozenset((start + k - 1) % 12 + 1 for k in range(rng.randint(1, 6)))

    mentor_rows = []
    for i in range(mentor_count):
        latitude, longitude = place()
        home = rng.randrange(8)
        held = {}
        for _ in range(rng.randint(1, 6)):
            domain = home if rng.random() < 0.7 else rng.randrange(8)
            held[rng.choice(domains[domain])] = (domain, rng.randint(1, 3))
        mentor_rows.append(
            MentorProfile(
                id=1000 + i,
                organisation_id=rng.choice([None, *range(40)]),
                latitude=latitude,
                longitude=longitude,
                departement=rng.choice(DEPARTEMENTS),
                competences=held,
                stems=words(0, 120),
                formats=formats(),
                months=months(0.6),
                travel_radius_km=float(rng.choice([0, 30, 50, 100, 150])),
                remaining_transfers=rng.choice([0, 1, 2, 3, 3]),
                remaining_days=rng.randint(0, 20),
            )
        )
    need_rows = []
    for i in range(need_count):
        latitude, longitude = place()
        domain = rng.randrange(8)
        wanted = {(rng.choice(domains[domain]), domain) for _ in range(rng.randint(0, 3))}
        need_rows.append(
            NeedProfile(
                id=5000 + i,
                organisation_id=rng.choice([None, *range(40)]),
                latitude=latitude,
                longitude=longitude,
                departement=rng.choice(DEPARTEMENTS),
                competences=tuple(sorted(wanted)),
                stems=words(0, 90),
                formats=formats(),
                months=months(0.2),
                days=rng.randint(1, 5),
                proposed_mentor_id=1000 + rng.randrange(mentor_count)
                if rng.random() < 0.2
                else None,
            )
        )
    return need_rows, mentor_rows


def reference_json(score: scoring.Score) -> str:
    return json.dumps(scoring.component_dicts(score.components))


@pytest.mark.parametrize("seed", [3, 4])
def test_fast_path_gives_the_reference_scores_on_a_realistic_call(seed):
    need_rows, mentor_rows = realistic_call(seed)
    w = Weights(rural_departements=frozenset({"09", "12", "32", "46", "48", "65", "82"}))
    scorer = scoring.Scorer(mentor_rows, w)
    found = scorer.all_candidates(need_rows, 20)
    compared = 0
    for need in need_rows:
        # The reference over every related person: the top 20 must be the true top 20.
        expected = {}
        for mentor in mentor_rows:
            domains = {d for d, _level in mentor.competences.values()}
            related = any(c in mentor.competences or d in domains for c, d in need.competences)
            if related or mentor.id == need.proposed_mentor_id:
                score = scorer.score(need, mentor.id)
                if score is not None:
                    expected[mentor.id] = score
        ranked = sorted(expected, key=lambda m: (-expected[m].total, m))[:20]
        got = found[need.id].mentors
        assert [m for m, _total in got][: len(ranked)] == ranked
        pairs = [(need, m) for m, _total in got]
        for (mentor_id, total), written in zip(got, scorer.explained(pairs), strict=True):
            reference = expected[mentor_id]
            assert total == reference.total
            assert written == (reference.total, reference_json(reference))
            compared += 1
    assert compared > 2000


def test_pairs_outside_the_candidates_are_explained_by_the_reference():
    need_rows, mentor_rows = realistic_call(5, need_count=40, mentor_count=60)
    scorer = scoring.Scorer(mentor_rows, Weights())
    found = scorer.all_candidates(need_rows, 2)
    need = next(n for n in need_rows if len(found[n.id].mentors) >= 2)
    kept = {m for m, _total in found[need.id].mentors}
    others = [m.id for m in mentor_rows if m.id not in kept]
    for mentor_id, written in zip(
        others, scorer.explained([(need, m) for m in others]), strict=True
    ):
        reference = scorer.score(need, mentor_id)
        if reference is None:
            assert written is None
        else:
            assert written == (reference.total, reference_json(reference))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(needs(), min_size=1, max_size=6),
    st.lists(mentors(), min_size=0, max_size=6, unique_by=lambda m: m.id),
    weights,
)
def test_explanations_equal_the_reference_for_any_profiles(need_list, mentor_list, w):
    need_list = [NeedProfile(**{**_fields(n), "id": i}) for i, n in enumerate(need_list)]
    scorer = scoring.Scorer(mentor_list, w)
    found = scorer.all_candidates(need_list, 3)
    pairs = [(n, m) for n in need_list for m, _total in found[n.id].mentors]
    for (need, mentor_id), written in zip(pairs, scorer.explained(pairs), strict=True):
        reference = scorer.score(need, mentor_id)
        assert reference is not None and written is not None
        assert written[0] == pytest.approx(reference.total, abs=2e-4)
        assert json.loads(written[1]) == json.loads(reference_json(reference))


def _fields(need: NeedProfile) -> dict:
    return {name: getattr(need, name) for name in NeedProfile.__slots__}
