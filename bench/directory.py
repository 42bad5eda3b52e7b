"""Benchmark of the directory search (not part of the tests).

    python bench/directory.py --scale 420                      # SQLite file under /tmp
    python bench/directory.py --scale 420 --database-url postgres://postgres@127.0.0.1:55433/b
    python bench/directory.py --scale 420 --reuse              # skip creation if already seeded

Creates a fresh database, migrates, runs ``seed_demo --scale N`` (which rebuilds the directory
index), times a full index rebuild, then times searches through Django's test client (the
whole request: middleware, form, queries, template) and counts SQL queries per page. Writes a
table between the directory markers of docs/benchmarks.md unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    cpu_description,
    database_label,
    prepare_database,
    seeding_workaround,
)

DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- directory:start -->", "<!-- directory:end -->"
DEFAULT_SQLITE = "sqlite:////tmp/maillage-bench-directory.sqlite3"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=420, help="seed_demo scale (420 ≈ 50,000)")
    parser.add_argument("--database-url", default=DEFAULT_SQLITE)
    parser.add_argument("--searches", type=int, default=300, help="timed searches per scenario")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the query mix")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--no-rebuild",
        action="store_true",
        help="with --reuse: keep the index and report the last measured rebuild time",
    )
    return parser.parse_args()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def query_mix(count: int, seed: int) -> list[dict[str, Any]]:
    """Realistic searches: a competence, one of its keywords as text, a département."""
    from maillage.competences.models import Competence
    from maillage.geography.models import Departement

    rng = random.Random(seed)
    competences = [
        (c.pk, [k.strip() for k in c.keywords.splitlines() if k.strip()] or [c.label_fr])
        for c in Competence.objects.filter(is_active=True)
    ]
    departements = list(Departement.objects.values_list("code", flat=True))
    mix = []
    for _ in range(count):
        pk, keywords = rng.choice(competences)
        mix.append(
            {"q": rng.choice(keywords), "competence": pk, "departement": rng.choice(departements)}
        )
    return mix


def result_count(html: str) -> int:
    match = re.search(r'id="result-count"[^>]*>\s*([0-9\u202f\xa0 ,.]*[0-9])', html)
    return int(re.sub(r"[^0-9]", "", match.group(1))) if match else 0


def time_scenario(client: Any, params_list: list[dict[str, Any]]) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, counts, queries = [], [], set()
    for params in params_list[:5]:  # warm caches (templates, vocabulary pages)
        client.get("/annuaire/?" + urlencode(params))
    for params in params_list:
        started = time.perf_counter()
        response = client.get("/annuaire/?" + urlencode(params))
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        counts.append(result_count(response.content.decode()))
    for params in params_list[:50]:
        with CaptureQueriesContext(connection) as captured:
            client.get("/annuaire/?" + urlencode(params))
        queries.add(len(captured.captured_queries))
    return {
        "median": statistics.median(timings),
        "p95": percentile(timings, 0.95),
        "max": max(timings),
        "results_median": statistics.median(counts),
        "results_max": max(counts),
        "queries": sorted(queries),
    }


def seed_record(url: str) -> Path:
    """Where the seeding time of a database is kept, for ``--reuse`` runs."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", url).strip("-")
    return Path(tempfile.gettempdir()) / f"maillage-bench-directory-{name}.json"


def run(args: argparse.Namespace) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    os.environ["MAILLAGE_DEBUG"] = "0"
    os.environ.setdefault("MAILLAGE_SECRET_KEY", "benchmark-only-key")
    os.environ["MAILLAGE_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault(
        "MAILLAGE_TASK_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"
    )
    prepare_database(args.database_url, args.reuse)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from maillage.directory.models import IndexTerm, Term
    from maillage.directory.services import rebuild_directory_index
    from maillage.people.models import ResourcePerson

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)
    seed_seconds = None
    if not (args.reuse and ResourcePerson.objects.exists()):
        started = time.perf_counter()
        with seeding_workaround():
            call_command("seed_demo", scale=args.scale, verbosity=0)
        seed_seconds = time.perf_counter() - started
        print(f"seed_demo --scale {args.scale}: {seed_seconds:.0f} s (index included)")
    record_path = seed_record(args.database_url)
    record = json.loads(record_path.read_text()) if record_path.exists() else {}
    if seed_seconds is not None:
        record = {"seed_seconds": seed_seconds}
    seed_seconds = record.get("seed_seconds")
    if args.no_rebuild and args.reuse and "rebuild_seconds" in record:
        indexed = ResourcePerson.objects.listed().count()
        rebuild_seconds = record["rebuild_seconds"]
    else:
        started = time.perf_counter()
        indexed = rebuild_directory_index()
        rebuild_seconds = time.perf_counter() - started
        record["rebuild_seconds"] = rebuild_seconds
    record_path.write_text(json.dumps(record))
    print(f"rebuild_directory_index: {rebuild_seconds:.1f} s, {indexed} persons")

    mix = query_mix(args.searches, args.seed)
    scenarios = {
        "texte + compétence + département": mix,
        "texte seul": [{"q": p["q"]} for p in mix],
        "compétence + département, sans texte": [
            {"competence": p["competence"], "departement": p["departement"]} for p in mix
        ],
    }
    client = Client()
    results: dict[str, Any] = {}
    for name, params in scenarios.items():
        results[name] = time_scenario(client, params)
        print(name, results[name])
    return {
        "database": database_label(),
        "scale": args.scale,
        "resource_persons": ResourcePerson.objects.count(),
        "listed": indexed,
        "rows": IndexTerm.objects.count(),
        "terms": Term.objects.count(),
        "seed_seconds": seed_seconds,
        "rebuild_seconds": rebuild_seconds,
        "searches": args.searches,
        "scenarios": results,
    }


def section(figures: dict[str, Any]) -> str:
    seed = figures["seed_seconds"]
    lines = [
        f"### {figures['database']}",
        "",
        f"Scale {figures['scale']}: {figures['resource_persons']:,} resource persons, "
        f"{figures['listed']:,} listed and indexed, {figures['rows']:,} index rows, "
        f"{figures['terms']:,} distinct terms. "
        + (f"`seed_demo` took {seed:.0f} s (index included); " if seed else "")
        + f"a full `rebuild_directory` took {figures['rebuild_seconds']:.0f} s.",
        "",
        "| searches (anonymous visitor, 20 per page) | median | p95 | max | results (median / max) "
        "| SQL queries per page |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in figures["scenarios"].items():
        queries = " or ".join(str(q) for q in r["queries"])
        lines.append(
            f"| {name} ({figures['searches']}) | {r['median']:.1f} ms | {r['p95']:.1f} ms "
            f"| {r['max']:.1f} ms | {r['results_median']:.0f} / {r['results_max']:,} "
            f"| {queries} |"
        )
    return "\n".join(lines)


def write_doc(block: str, database: str) -> None:
    """Replace this database's subsection between the directory markers, keep the others."""
    DOC.parent.mkdir(parents=True, exist_ok=True)
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if not text.startswith("# Benchmarks"):
        text = "# Benchmarks\n\n" + text
    intro = (
        "## Directory search (`bench/directory.py`)\n\n"
        "Server time of `GET /annuaire/?q=…&competence=…&departement=…` through Django's test "
        "client (middleware, form, SQL, template), `MAILLAGE_DEBUG=0`, on demo data. Queries "
        "drawn at random from the taxonomy: a competence, one of its keywords as text, a "
        "département. Target: p95 under 100 ms, query count independent of the number of "
        "results. The machine is a shared 2-CPU virtual machine on which other jobs were "
        "running: medians are stable from run to run, tails (p95, max) much less. On "
        "PostgreSQL, seeding runs with `enable_indexscan = off` (see `seeding_workaround` "
        "in the script: a demo-generator UPDATE is otherwise quadratic)."
    )
    subsections: dict[str, str] = {}
    if START in text and END in text:
        before, rest = text.split(START, 1)
        old, after = rest.split(END, 1)
        for part in old.split("\n### ")[1:]:
            title = part.split("\n", 1)[0].strip()
            subsections[title.split(" ")[0]] = "### " + part.strip()
    else:
        before, after = text.rstrip() + "\n\n", "\n"
    stamp = f"_{datetime.date.today().isoformat()}, {cpu_description()}._"
    subsections[database.split(" ")[0]] = block + "\n\n" + stamp
    body = "\n\n".join(subsections[k] for k in sorted(subsections, key=lambda k: k != "SQLite"))
    DOC.write_text(f"{before}{START}\n{intro}\n\n{body}\n{END}{after}")


def main() -> None:
    args = parse_args()
    figures = run(args)
    block = section(figures)
    print(block)
    if not args.no_write:
        write_doc(block, figures["database"])
        print(f"written to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
