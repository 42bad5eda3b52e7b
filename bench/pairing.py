"""Benchmark of the Django side of the matching (scoring + solving a realistic call).

Two measurements, reported side by side in docs/benchmarks.md (section "pairing"):

1. **Pure part**: synthetic profiles with realistic distributions (2,000 needs, 700 resource
   persons, the real competence taxonomy's shape: ~12 domains x ~10 competences, 1-3 wanted
   competences per need, 3-8 held per person, French-like stems, communes across Occitanie),
   then ``Scorer`` (candidate generation, top 20 per need) + ``maillage.matching.solve``.
2. **Django end to end**: a fresh SQLite database seeded by ``seed_demo --scale N``, the open
   call's submitted applications marked accepted, then ``pairing.services.run_matching``
   (profile extraction, scoring, solving, storing the run and ~6 proposals per need), and the
   same split into its phases.

    .venv/bin/python bench/pairing.py                # both parts, scale 6 for the database
    .venv/bin/python bench/pairing.py --pure-only
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from maillage.matching import Candidate, Mentor, Need, Problem, solve  # noqa: E402
from maillage.pairing import scoring  # noqa: E402

# Occitanie's bounding box, roughly, and its 13 départements.
DEPARTEMENTS = ["09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"]
RURAL = frozenset({"09", "12", "32", "46", "48", "65", "82"})
VOCABULARY = [f"terme{i}" for i in range(3000)]
# The web run's default limit (pairing.services.DEFAULT_TIME_LIMIT_S); --time-limit changes it.
TIME_LIMIT_S = 2.0


def synthetic(
    needs: int, mentors: int, seed: int = 1
) -> tuple[list[scoring.NeedProfile], list[scoring.MentorProfile]]:
    rng = random.Random(seed)
    domains = {d: [d * 100 + c for c in range(10)] for d in range(12)}
    organisations = max(1, (needs + mentors) // 3)
    # Zipf-like vocabulary use: a few frequent trade words, a long tail.
    weights = [1.0 / (i + 1) for i in range(len(VOCABULARY))]

    def words(count: int) -> tuple[str, ...]:
        return tuple(rng.choices(VOCABULARY, weights=weights, k=count))

    def place() -> tuple[float, float, str]:
        return rng.uniform(42.5, 44.9), rng.uniform(0.0, 4.8), rng.choice(DEPARTEMENTS)

    def formats() -> frozenset[str]:
        chosen = {f for f in scoring.FORMATS if rng.random() < 0.45}
        return frozenset(chosen or {rng.choice(scoring.FORMATS)})

    mentor_rows = []
    for i in range(mentors):
        lat, lon, dep = place()
        held: dict[int, tuple[int, int]] = {}
        home = rng.randrange(12)
        for _ in range(rng.randint(3, 8)):
            domain = home if rng.random() < 0.7 else rng.randrange(12)
            held[rng.choice(domains[domain])] = (domain, rng.randint(1, 3))
        start = rng.randint(1, 12)
        months = (
            frozenset()
            if rng.random() < 0.6
            else frozenset((start + k - 1) % 12 + 1 for k in range(rng.randint(3, 9)))
        )
        mentor_rows.append(
            scoring.MentorProfile(
                id=i + 1,
                organisation_id=rng.randrange(organisations),
                latitude=lat,
                longitude=lon,
                departement=dep,
                competences=held,
                stems=words(rng.randint(40, 160)),
                formats=formats(),
                months=months,
                travel_radius_km=float(rng.choice([30, 50, 100, 150, 200])),
                remaining_transfers=rng.randint(1, 3),
                remaining_days=rng.randint(3, 15),
            )
        )
    need_rows = []
    for i in range(needs):
        lat, lon, dep = place()
        domain = rng.randrange(12)
        wanted = {(rng.choice(domains[domain]), domain) for _ in range(rng.randint(1, 3))}
        start = rng.randint(1, 12)
        need_rows.append(
            scoring.NeedProfile(
                id=100_000 + i,
                organisation_id=rng.randrange(organisations),
                latitude=lat,
                longitude=lon,
                departement=dep,
                competences=tuple(sorted(wanted)),
                stems=words(rng.randint(30, 120)),
                formats=formats(),
                months=frozenset((start + k - 1) % 12 + 1 for k in range(rng.randint(1, 4))),
                days=rng.randint(1, 5),
                proposed_mentor_id=rng.randint(1, mentors) if rng.random() < 0.2 else None,
            )
        )
    return need_rows, mentor_rows


def pure(needs: int, mentors: int, repeat: int, limit: float) -> dict[str, float]:
    need_rows, mentor_rows = synthetic(needs, mentors)
    weights = scoring.Weights(rural_departements=RURAL)
    timings: dict[str, list[float]] = {"index": [], "candidates": [], "solve": [], "total": []}
    result = None
    pairs = 0
    for _ in range(repeat):
        started = time.perf_counter()
        scorer = scoring.Scorer(mentor_rows, weights)
        indexed = time.perf_counter()
        found = scorer.all_candidates(need_rows, 20)
        scored = time.perf_counter()
        problem = Problem(
            needs=[Need(str(n.id), n.days, f"o{n.organisation_id}") for n in need_rows],
            mentors=[
                Mentor(str(m.id), f"o{m.organisation_id}", m.remaining_transfers, m.remaining_days)
                for m in mentor_rows
            ],
            candidates=[
                Candidate(str(need_id), str(mentor_id), score)
                for need_id, c in found.items()
                for mentor_id, score in c.mentors
            ],
        )
        pairs = len(problem.candidates)
        result = solve(problem, time_limit_s=limit)
        done = time.perf_counter()
        timings["index"].append(indexed - started)
        timings["candidates"].append(scored - indexed)
        timings["solve"].append(done - scored)
        timings["total"].append(done - started)
    assert result is not None
    # Once more without the web run's time limit (the engine's default, 20 s), for reference.
    unlimited = solve(problem)
    summary = {name: statistics.median(values) for name, values in timings.items()}
    summary.update(
        pairs=pairs,
        assigned=len(result.assignments),
        optimal=float(result.optimal),
        gap=(result.upper_bound - result.total_score) / result.upper_bound * 100,
        best_total=unlimited.total_score,
        best_bound=unlimited.upper_bound,
        best_optimal=float(unlimited.optimal),
        best_seconds=unlimited.seconds,
        ratio=result.total_score / unlimited.upper_bound * 100,
    )
    return summary


def django_end_to_end(scale: int, needs: int, limit: float) -> dict[str, float]:
    folder = tempfile.mkdtemp(prefix="pairing-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MAILLAGE_MATCHING_TIME_LIMIT_S = limit
    call_command("migrate", verbosity=0)
    call_command("seed_demo", scale=scale, verbosity=0)

    from maillage.applications.models import Application, ApplicationState
    from maillage.calls.models import Call
    from maillage.pairing import profiles, services

    call = max(Call.objects.all(), key=lambda c: c.applications.count())
    Application.objects.filter(call=call).exclude(state=ApplicationState.DRAFT).update(
        state=ApplicationState.ACCEPTED
    )
    # The demo has fewer accepted needs than a realistic call: add copies of them (same
    # organisations, texts, competences, periods) up to ``needs``.
    originals = list(
        Application.objects.filter(call=call, state=ApplicationState.ACCEPTED).prefetch_related(
            "competences"
        )
    )
    copies = []
    for i in range(max(0, needs - len(originals))):
        source = originals[i % len(originals)]
        copy = Application(
            **{
                f.attname: getattr(source, f.attname)
                for f in Application._meta.concrete_fields
                if f.attname not in ("id", "reference")
            }
        )
        copy.reference = f"BENCH-{i:05d}"
        copies.append((copy, [c.pk for c in source.competences.all()]))
    Application.objects.bulk_create([c for c, _ in copies], batch_size=1000)
    through = Application.competences.through
    through.objects.bulk_create(
        [through(application_id=c.pk, competence_id=pk) for c, pks in copies for pk in pks],
        batch_size=5000,
    )
    started = time.perf_counter()
    data = profiles.build(call)
    extracted = time.perf_counter()
    scorer = scoring.Scorer(data.mentors, data.weights)
    scorer.all_candidates(data.needs, 20)
    scored = time.perf_counter()
    run_started = time.perf_counter()
    run = services.run_matching(call, None)
    run_done = time.perf_counter()
    return {
        "needs": len(data.needs),
        "mentors": len(data.mentors),
        "extract": extracted - started,
        "score": scored - extracted,
        "solve": run.seconds,
        "run_matching": run_done - run_started,
        "optimal": float(run.optimal),
        "gap": (run.upper_bound - run.total_score) / run.upper_bound * 100,
        "proposals": run.proposals.count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--needs", type=int, default=2000)
    parser.add_argument("--mentors", type=int, default=700)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scale", type=int, default=6)
    parser.add_argument("--pure-only", action="store_true")
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT_S)
    args = parser.parse_args()
    result = pure(args.needs, args.mentors, args.repeat, args.time_limit)
    print(
        f"time limit {args.time_limit} s\n"
        f"pure {args.needs} needs x {args.mentors} mentors (median of {args.repeat}): "
        f"index {result['index']:.3f} s, candidates {result['candidates']:.3f} s, "
        f"solve {result['solve']:.3f} s, total {result['total']:.3f} s; "
        f"{result['pairs']:.0f} pairs, {result['assigned']:.0f} assigned, "
        f"optimal={bool(result['optimal'])}, gap to own bound {result['gap']:.3f} %, "
        f"{result['ratio']:.3f} % of the best proven bound; without the limit: "
        f"{result['best_seconds']:.1f} s, optimal={bool(result['best_optimal'])}"
    )
    if args.pure_only:
        return
    e2e = django_end_to_end(args.scale, args.needs, args.time_limit)
    print(
        f"django scale {args.scale}: {e2e['needs']:.0f} needs, {e2e['mentors']:.0f} mentors; "
        f"extract {e2e['extract']:.3f} s, score {e2e['score']:.3f} s, solve {e2e['solve']:.3f} s; "
        f"run_matching (all, with storing {e2e['proposals']:.0f} proposals) "
        f"{e2e['run_matching']:.3f} s, optimal={bool(e2e['optimal'])}, gap {e2e['gap']:.3f} %"
    )


if __name__ == "__main__":
    main()
