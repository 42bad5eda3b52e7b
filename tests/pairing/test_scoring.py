"""The pure scoring: hard rules, properties, and the vectorised path against the reference."""

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage.pairing import scoring
from maillage.pairing.scoring import MentorProfile, NeedProfile, Weights

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# A small taxonomy: competence c belongs to domain c // 10 (one domain per competence).
competence_ids = st.integers(min_value=0, max_value=29)
stems = st.lists(st.sampled_from(["regi", "budget", "son", "lumier", "product", "diffus"]))
formats = st.frozensets(st.sampled_from(scoring.FORMATS))
months = st.frozensets(st.integers(min_value=1, max_value=12), max_size=6)
latitudes = st.one_of(st.none(), st.floats(min_value=42.3, max_value=45.0))
longitudes = st.floats(min_value=-0.5, max_value=5.0)
departements = st.sampled_from(["", "09", "31", "34", "48"])


@st.composite
def needs(draw, need_id=None):
    wanted = draw(st.lists(competence_ids, min_size=0, max_size=3, unique=True))
    latitude = draw(latitudes)
    return NeedProfile(
        id=need_id if need_id is not None else draw(st.integers(1, 10_000)),
        organisation_id=draw(st.one_of(st.none(), st.integers(1, 4))),
        latitude=latitude,
        longitude=None if latitude is None else draw(longitudes),
        departement=draw(departements),
        competences=tuple((c, c // 10) for c in wanted),
        stems=tuple(draw(stems)),
        formats=draw(formats),
        months=draw(months),
        days=draw(st.integers(1, 5)),
        proposed_mentor_id=draw(st.one_of(st.none(), st.integers(1, 6))),
    )


@st.composite
def mentors(draw, mentor_id=None):
    held = draw(st.dictionaries(competence_ids, st.integers(1, 3), max_size=5))
    latitude = draw(latitudes)
    return MentorProfile(
        id=mentor_id if mentor_id is not None else draw(st.integers(1, 6)),
        organisation_id=draw(st.one_of(st.none(), st.integers(1, 4))),
        latitude=latitude,
        longitude=None if latitude is None else draw(longitudes),
        departement=draw(departements),
        competences={c: (c // 10, level) for c, level in held.items()},
        stems=tuple(draw(stems)),
        formats=draw(formats),
        months=draw(months),
        travel_radius_km=draw(st.sampled_from([0.0, 30.0, 100.0, 200.0])),
        remaining_transfers=draw(st.integers(0, 3)),
        remaining_days=draw(st.integers(0, 10)),
    )


weights = st.builds(
    Weights,
    **{
        f.name: st.floats(min_value=0, max_value=100)
        for f in dataclasses.fields(Weights)
        if f.name != "rural_departements"
    },
    rural_departements=st.frozensets(st.sampled_from(["09", "48"])),
)
relevances = st.floats(min_value=0, max_value=1)


@FAST
@given(needs(), mentors(), weights, relevances)
def test_hard_rules_are_never_violated(need, mentor, w, relevance):
    score = scoring.score_pair(need, mentor, w, relevance)
    if need.organisation_id is not None and need.organisation_id == mentor.organisation_id:
        assert score is None
    if mentor.remaining_transfers == 0 or need.days > mentor.remaining_days:
        assert score is None
    if not scoring.common_formats(need.formats, mentor.formats):
        assert score is None
    if score is not None:
        assert score.total >= 0
        assert all(c.points >= 0 for c in score.components)


@FAST
@given(needs(), mentors(), weights, relevances)
def test_the_proposed_flag_never_lowers_the_score(need, mentor, w, relevance):
    plain = scoring.score_pair(
        dataclasses.replace(need, proposed_mentor_id=None), mentor, w, relevance
    )
    flagged = scoring.score_pair(
        dataclasses.replace(need, proposed_mentor_id=mentor.id), mentor, w, relevance
    )
    assert (plain is None) == (flagged is None)
    if plain is not None and flagged is not None:
        assert flagged.total >= plain.total


@FAST
@given(needs(), mentors(), weights, relevances, latitudes, longitudes)
def test_remote_only_pairs_ignore_distance(need, mentor, w, relevance, latitude, longitude):
    need = dataclasses.replace(need, formats=frozenset({scoring.REMOTE}))
    mentor = dataclasses.replace(mentor, formats=frozenset({scoring.REMOTE}))
    here = scoring.score_pair(need, mentor, w, relevance)
    moved = dataclasses.replace(
        mentor, latitude=latitude, longitude=None if latitude is None else longitude
    )
    there = scoring.score_pair(need, moved, w, relevance)
    assert (here is None) == (there is None)
    if here is not None and there is not None:
        assert here.total == there.total


@FAST
@given(
    st.lists(needs(), min_size=1, max_size=6),
    st.lists(mentors(), min_size=0, max_size=6, unique_by=lambda m: m.id),
    weights,
    st.integers(1, 4),
)
def test_vectorised_candidates_match_the_reference(need_list, mentor_list, w, top_k):
    need_list = [dataclasses.replace(n, id=i) for i, n in enumerate(need_list)]
    scorer = scoring.Scorer(mentor_list, w)
    found = scorer.all_candidates(need_list, top_k)
    for need in need_list:
        candidates = found[need.id]
        # Reference: every compatible mentor sharing a competence or domain (or proposed).
        expected = {}
        for mentor in mentor_list:
            related = any(
                c in mentor.competences or d in {dm for dm, _ in mentor.competences.values()}
                for c, d in need.competences
            )
            if not related and mentor.id != need.proposed_mentor_id:
                continue
            score = scorer.score(need, mentor.id)
            if score is not None:
                expected[mentor.id] = score.total
        got = dict(candidates.mentors)
        assert set(got) <= set(expected)
        for mentor_id, total in got.items():
            assert total == pytest.approx(expected[mentor_id], abs=2e-4)
        best = sorted(expected.values(), reverse=True)[:top_k]
        kept = sorted(got.values(), reverse=True)[: len(best)]
        assert kept == pytest.approx(best, abs=2e-4)
        if need.proposed_mentor_id in expected:
            assert need.proposed_mentor_id in got
        if not expected:
            assert candidates.mentors == [] and candidates.reason is not None


def _need(**changes):
    base = NeedProfile(
        id=1,
        organisation_id=1,
        latitude=43.6045,
        longitude=1.4440,
        departement="31",
        competences=((11, 1),),
        stems=("budget", "tourne"),
        formats=frozenset({scoring.IMMERSION}),
        months=frozenset({3, 4}),
        days=2,
    )
    return dataclasses.replace(base, **changes)


def _mentor(**changes):
    base = MentorProfile(
        id=7,
        organisation_id=2,
        latitude=43.6045,
        longitude=1.4440,
        departement="31",
        competences={11: (1, 3)},
        stems=("budget", "tourne", "product"),
        formats=frozenset({scoring.IMMERSION, scoring.REMOTE}),
        months=frozenset(),
        travel_radius_km=100,
        remaining_transfers=3,
        remaining_days=10,
    )
    return dataclasses.replace(base, **changes)


def test_reasons_name_the_first_filter_that_empties_the_list():
    scorer = scoring.Scorer([_mentor()], Weights())
    assert scorer.candidates(_need(competences=((99, 9),))).reason == scoring.NO_COMPETENCE
    assert scorer.candidates(_need(organisation_id=2)).reason == scoring.SAME_ORGANISATION
    assert scorer.candidates(_need(days=11)).reason == scoring.CAPACITY
    assert (
        scorer.candidates(_need(formats=frozenset({scoring.ON_SITE}))).reason == scoring.NO_FORMAT
    )
    assert scorer.candidates(_need()).mentors[0][0] == 7


def test_distance_decreases_beyond_the_radius_and_mixed_fits_every_format():
    w = Weights()
    near = scoring.score_pair(_need(), _mentor(formats=frozenset({scoring.IMMERSION})), w, 0)
    # Montpellier is ~200 km from Toulouse: past a 150 km radius, points decrease.
    far_mentor = _mentor(
        latitude=43.6108, longitude=3.8767, formats=frozenset({scoring.MIXED}), travel_radius_km=150
    )
    far = scoring.score_pair(_need(), far_mentor, w, 0)
    assert near is not None and far is not None
    assert near.component("distance").points == w.distance
    assert 0 < far.component("distance").points < w.distance
    assert scoring.common_formats({scoring.ON_SITE}, {scoring.MIXED}) == [scoring.ON_SITE]
    assert scoring.common_formats({scoring.ON_SITE}, {scoring.REMOTE}) == []


def test_text_relevance_is_normalised_and_favours_matching_words():
    index = scoring.TextIndex([["budget", "tourne", "budget"], ["lumier", "son"], []])
    assert index.relevance(["budget", "tourne"], 0) > index.relevance(["budget", "tourne"], 1)
    assert index.relevance(["budget"], 1) == 0
    assert 0 <= index.relevance(["budget", "inconnu"], 0) <= 1
    assert list(index.relevance_all(["lumier"])) == pytest.approx(
        [index.relevance(["lumier"], i) for i in range(3)]
    )


def test_the_documented_examples():
    """docs/matching.md, section Scoring: 130 and 75 points."""
    toulouse = {"latitude": 43.6045, "longitude": 1.4440}
    need = _need(stems=("rien",), proposed_mentor_id=7, months=frozenset({3}), **toulouse)
    # ~42 km from Toulouse, same département, immersion only.
    mentor = _mentor(
        latitude=43.6045 + 42 / 111.2,
        longitude=1.4440,
        stems=("autre",),
        formats=frozenset({scoring.IMMERSION}),
    )
    score = scoring.score_pair(need, mentor, Weights(), 0.0)
    assert score is not None and score.total == 130
    assert score.component("distance").params["km"] == 42
    far = _mentor(
        latitude=43.6045 + 150 / 111.2, longitude=1.4440, formats=frozenset({scoring.IMMERSION})
    )
    plain = dataclasses.replace(need, proposed_mentor_id=None)
    assert scoring.score_pair(plain, far, Weights(), 0.0).total == pytest.approx(75, abs=0.1)
