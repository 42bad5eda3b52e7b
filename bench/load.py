"""Load benchmark: 100 concurrent users against gunicorn on loopback (not part of the tests).

    .venv/bin/python bench/load.py --database sqlite|postgres|both --users 100 --duration 300
    .venv/bin/python bench/load.py --database postgres --postgres-url postgres://u@host:5432/load
    .venv/bin/python bench/load.py --database sqlite --users 20 --duration 30 --no-write

For each database: a fresh database (an SQLite file under var/load/ — WAL mode comes from the
settings — or a database on a throwaway PostgreSQL cluster this script starts on 127.0.0.1,
or the database of ``--postgres-url``, dropped and recreated), ``migrate``, ``collectstatic``,
``seed_demo``, then ``prepare_load`` (one open call, enough applicant accounts). It starts
gunicorn on a free loopback port with production settings (``MAILLAGE_DEBUG=0``, WhiteNoise,
a random secret key, behind a simulated TLS proxy: HSTS, secure cookies and the SSL redirect
stay on) and the task worker (``db_worker``: receipts and e-mails, to a dummy mail backend),
and runs locust headless (bench/load_locustfile.py): anonymous visitors browsing the public
directory and calls, applicants filling and submitting applications, some with a double
click. When locust stops (by itself, after ``--duration``), the servers are stopped and the
database is checked: every submission a client saw succeed exists exactly once (one
application per applicant and call, one "submitted" event, one stored revision), none is
missing, none appeared unseen; no request failed (locust) and no response was an error
(gunicorn's access log: any status ≥ 400). Writes the figures between the load markers of
docs/benchmarks.md (unless ``--no-write``) and exits non-zero when anything was lost,
duplicated or failed.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import json
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var" / "load"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- load:start -->", "<!-- load:end -->"
LOCUSTFILE = Path(__file__).resolve().parent / "load_locustfile.py"
# Scripts of the virtual environment this script runs from (gunicorn, locust).
BIN = Path(sys.executable).parent
CALL_SLUG = "appel-test-de-charge"
EMAIL_DOMAIN = "charge.maillage.invalid"
DEFAULT_PG_PORT = 55433
STOP_TIMEOUT_S = 60
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--users", type=int, default=100, help="concurrent simulated users")
    parser.add_argument("--duration", type=int, default=300, help="seconds of load")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second")
    parser.add_argument(
        "--workers", type=int, default=3, help="gunicorn worker processes (2 CPUs: see docs)"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--scale", type=int, default=1, help="seed_demo scale (1 ≈ 120 persons)")
    parser.add_argument(
        "--accounts", type=int, default=0, help="applicant accounts (default: from the load)"
    )
    parser.add_argument(
        "--postgres-url",
        default="",
        help="use this PostgreSQL database (dropped and recreated) instead of a throwaway cluster",
    )
    parser.add_argument("--pg-port", type=int, default=DEFAULT_PG_PORT)
    parser.add_argument("--no-worker", action="store_true", help="without the task worker")
    parser.add_argument(
        "--plain-http",
        action="store_true",
        help="no simulated TLS proxy: SSL redirect and secure cookies off (check --deploy warns)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args(argv)


# --------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------


def free_port(preferred: int = 0) -> int:
    """``preferred`` if nothing listens there (another cluster may), else any free port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(command: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """A command that must succeed; its output is shown when it fails."""
    result = subprocess.run(  # noqa: S603 (our own commands, no shell)
        command, cwd=ROOT, env=env, text=True, capture_output=True, check=False, **kwargs
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"failed ({result.returncode}): {' '.join(command)}")
    return result


def manage(env: dict[str, str], *args: str) -> str:
    return run([sys.executable, str(ROOT / "manage.py"), *args], env).stdout


@contextlib.contextmanager
def background(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A process (and its children, in their own session) stopped when the block ends."""
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 (our own command, no shell)
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_until_ready(base: str, process: subprocess.Popen, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}: see its log")
        try:
            request = urllib.request.Request(base + "/", headers=headers)  # noqa: S310 (loopback)
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer within 60 s")


def warm_up(base: str, headers: dict[str, str], connections: int) -> None:
    """A few rounds of the public pages, concurrently, so that every gunicorn worker has
    loaded its code and templates: the figures are those of a server already running."""
    from concurrent.futures import ThreadPoolExecutor

    pages = ["/", "/annuaire/", "/annuaire/?q=budget", "/appels/", "/competences/"]
    pages += ["/compte/connexion/", f"/appels/{CALL_SLUG}/"]

    def fetch(path: str) -> None:
        request = urllib.request.Request(base + path, headers=headers)  # noqa: S310 (loopback)
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            response.read()

    with ThreadPoolExecutor(max_workers=connections) as pool:
        list(pool.map(fetch, pages * connections))


def as_postgres(command: list[str]) -> list[str]:
    """Run a PostgreSQL server binary as the postgres user when we are root (it refuses)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextlib.contextmanager
def throwaway_postgres(port: int) -> Iterator[tuple[str, Path]]:
    """A PostgreSQL cluster of our own on 127.0.0.1:``port``, removed afterwards (like .ci/run,
    but with the server's default durability: fsync and synchronous commit stay on)."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not versions:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
    pg_bin = versions[-1]
    data = Path(tempfile.mkdtemp(prefix="maillage-load-pg."))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    ctl = [str(pg_bin / "pg_ctl"), "-D", str(data)]
    env = dict(os.environ)
    try:
        run(
            as_postgres(
                [str(pg_bin / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
                + ["-E", "UTF8", "--locale=C.UTF-8"]
            ),
            env,
        )
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c max_connections=200"
        run(as_postgres([*ctl, "-w", "-l", str(data / "server.log"), "-o", options, "start"]), env)
        yield f"postgres://postgres@127.0.0.1:{port}/maillage_load", data
    finally:
        subprocess.run(  # noqa: S603
            as_postgres([*ctl, "-m", "fast", "stop"]), capture_output=True, check=False
        )
        shutil.rmtree(data, ignore_errors=True)


def recreate_postgres_database(url: str) -> str:
    import psycopg
    from psycopg import sql

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        row = conn.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {row[0].split()[0] if row else '?'}"


# --------------------------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    database: str
    label: str
    users: int
    duration: int
    workers: int
    threads: int
    accounts: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: dict[str, Any] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)
    server_statuses: dict[str, int] = field(default_factory=dict)
    server_ms: dict[str, float] = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    started: str = ""

    @property
    def passed(self) -> bool:
        c = self.checks
        return (
            c.get("submitted", 0) > 0
            and not (c["lost"] or c["duplicated"] or c["unseen"] or c["mismatched"])
            and self.total.get("failures", 1) == 0
            and c["server_errors"] == 0
        )


def server_env(url: str, workdir: Path, port: int, plain_http: bool) -> dict[str, str]:
    """Production settings, as a deployment behind a TLS-terminating proxy would have them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILLAGE_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "maillage.settings",
            "DATABASE_URL": url,
            "MAILLAGE_DEBUG": "0",
            "MAILLAGE_SECRET_KEY": secrets.token_urlsafe(50),
            "MAILLAGE_ALLOWED_HOSTS": "127.0.0.1",
            "MAILLAGE_MEDIA_ROOT": str(workdir / "media"),
            "MAILLAGE_SITE_URL": f"{'http' if plain_http else 'https'}://127.0.0.1:{port}",
            # Receipts and notifications are rendered and "sent" by the worker, to nowhere.
            "MAILLAGE_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "MAILLAGE_LOG_LEVEL": "WARNING",
        }
    )
    if plain_http:
        env.update({"MAILLAGE_SECURE_SSL_REDIRECT": "0", "MAILLAGE_SECURE_COOKIES": "0"})
    else:
        # The proxy terminates TLS and says so; Django trusts the header (and only then).
        env["MAILLAGE_SECURE_PROXY_SSL_HEADER"] = "1"
    return env


def default_accounts(users: int, duration: int) -> int:
    """More accounts than applicants can use up: a journey takes at least ~30 s."""
    return max(50, math.ceil(users * duration / 15))


def prepare(env: dict[str, str], args: argparse.Namespace, password: str) -> None:
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "collectstatic", "--no-input", "-v", "0")
    manage(env, "seed_demo", "--scale", str(args.scale))
    manage(
        env,
        "prepare_load",
        "--benchmark-database",
        "--accounts",
        str(args.accounts),
        f"--password={password}",
    )


def client_env(
    args: argparse.Namespace, workdir: Path, password: str, scheme: str
) -> dict[str, str]:
    """What bench/load_locustfile.py reads (MAILLAGE_LOAD_* of the environment pass through:
    MAILLAGE_LOAD_DOUBLE_CLICK and MAILLAGE_LOAD_ATTACHMENT set the shares of double clicks
    and attachments)."""
    return {
        **{k: v for k, v in os.environ.items() if k.startswith("MAILLAGE_LOAD_")},
        "MAILLAGE_LOAD_ACCOUNTS": str(args.accounts),
        "MAILLAGE_LOAD_PASSWORD": password,
        "MAILLAGE_LOAD_CALL": CALL_SLUG,
        "MAILLAGE_LOAD_EMAIL_DOMAIN": EMAIL_DOMAIN,
        "MAILLAGE_LOAD_LOG": str(workdir / "clients.jsonl"),
        "MAILLAGE_LOAD_SCHEME": scheme,
    }


class CpuMeter:
    """CPU seconds used by each of our processes and by the whole machine (Linux /proc), so
    that the report says how much of the 2 CPUs other jobs took meanwhile."""

    def __init__(self, groups: dict[str, Callable[[int, int, int], bool]]) -> None:
        self.groups = groups
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}

    @staticmethod
    def machine_busy() -> float:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        return (sum(values) - values[3] - values[4]) / CLOCK_TICKS  # minus idle and iowait

    def sample(self) -> None:
        if not Path("/proc/stat").exists():
            return
        seconds = dict.fromkeys(self.groups, 0.0)
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                pid = int(stat.parent.name)
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, ValueError, IndexError):
                continue  # the process ended meanwhile
            ppid, pgrp = int(fields[1]), int(fields[2])
            used = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            for name, belongs in self.groups.items():
                if belongs(pid, ppid, pgrp):
                    seconds[name] += used
        seconds["machine"] = self.machine_busy()
        if not self.first:
            self.first = seconds
        # Counters only grow; a process that ended (locust, at the end) keeps its last value.
        self.last = {k: max(v, self.last.get(k, 0.0)) for k, v in seconds.items()}

    def shares(self, elapsed: float) -> dict[str, float]:
        """Percent of one CPU per group over ``elapsed`` seconds, and "other" for the rest."""
        used = {k: self.last[k] - self.first[k] for k in self.first}
        machine = used.pop("machine")
        used["other"] = max(0.0, machine - sum(used.values()))
        return {k: 100 * v / elapsed for k, v in used.items()}


def postmaster(cluster: Path | None) -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        if cluster is not None:
            return int((cluster / "postmaster.pid").read_text().split()[0])
    return -1


def run_locust(
    args: argparse.Namespace,
    workdir: Path,
    base: str,
    env: dict[str, str],
    groups: dict[str, Callable[[int, int, int], bool]],
) -> dict[str, float]:
    """Headless, stops by itself after ``--duration``; users stop between pages. Returns the
    CPU used meanwhile by each group of processes (``groups``, plus locust and "other")."""
    command = [
        str(BIN / "locust"),
        f"--locustfile={LOCUSTFILE}",
        "--headless",
        f"--users={args.users}",
        f"--spawn-rate={args.spawn_rate}",
        f"--run-time={args.duration}s",
        f"--stop-timeout={STOP_TIMEOUT_S}",
        f"--host={base}",
        f"--csv={workdir / 'locust'}",
        "--only-summary",
        "--loglevel=INFO",
        "--exit-code-on-error=0",
    ]
    with (workdir / "locust.log").open("w") as output:
        process = subprocess.Popen(  # noqa: S603 (our own command, no shell)
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        meter = CpuMeter({**groups, "locust": lambda pid, ppid, pgrp: pid == process.pid})
        started = time.monotonic()
        deadline = started + args.duration + STOP_TIMEOUT_S + 300
        while process.poll() is None:
            if time.monotonic() > deadline:
                process.kill()
                raise SystemExit("locust did not stop in time")
            meter.sample()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        meter.sample()
    if process.returncode != 0:
        raise SystemExit(f"locust exited with {process.returncode}: see {workdir}/locust.log")
    return meter.shares(time.monotonic() - started) if meter.first else {}


def run_one(database: str, args: argparse.Namespace) -> Outcome:
    workdir = VAR / database
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    port = free_port()
    with contextlib.ExitStack() as stack:
        cluster: Path | None = None
        if database == "sqlite":
            url = f"sqlite:///{workdir / 'maillage.sqlite3'}"
            label = f"SQLite {sqlite3.sqlite_version} (WAL)"
        else:
            url = args.postgres_url
            if not url:
                url, cluster = stack.enter_context(throwaway_postgres(free_port(args.pg_port)))
            label = recreate_postgres_database(url)
        outcome = Outcome(
            database=database,
            label=label,
            users=args.users,
            duration=args.duration,
            workers=args.workers,
            threads=args.threads,
            accounts=args.accounts,
            started=datetime.datetime.now().isoformat(timespec="minutes"),
        )
        env = server_env(url, workdir, port, args.plain_http)
        scheme = "http" if args.plain_http else "https"
        password = secrets.token_urlsafe(18)
        print(f"== {label}: preparing the database ({args.accounts} applicant accounts)")
        prepare(env, args, password)
        base = f"http://127.0.0.1:{port}"
        access_log = workdir / "access.log"
        gunicorn = [
            str(BIN / "gunicorn"),
            "maillage.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={args.workers}",
            f"--threads={args.threads}",
            "--worker-class=gthread",
            "--timeout=60",
            # Idle connections stay open between a user's pages, as nginx keeps them (75 s):
            # with gunicorn's 2 s default, a request sent on a connection the server is
            # closing at that very moment is reset (seen as "Connection reset by peer").
            "--keep-alive=75",
            f"--access-logfile={access_log}",
            "--access-logformat=%(s)s %(m)s %(U)s %(M)s",
            "--log-level=warning",
        ]
        print(f"== gunicorn {args.workers} workers x {args.threads} threads on {base}")
        with contextlib.ExitStack() as servers:
            server = servers.enter_context(background(gunicorn, env, workdir / "gunicorn.log"))
            groups: dict[str, Callable[[int, int, int], bool]] = {
                "gunicorn": lambda pid, ppid, pgrp: pgrp == server.pid
            }
            if not args.no_worker:
                worker = [sys.executable, str(ROOT / "manage.py"), "db_worker", "--interval", "1"]
                task_worker = servers.enter_context(background(worker, env, workdir / "worker.log"))
                groups["task worker"] = lambda pid, ppid, pgrp: pgrp == task_worker.pid
            wait_until_ready(base, server, {"X-Forwarded-Proto": scheme})
            warm_up(base, {"X-Forwarded-Proto": scheme}, args.workers * args.threads)
            # The readiness probes and the warm-up are not part of the figures.
            skip = access_log.stat().st_size
            print(f"== locust: {args.users} users for {args.duration} s")
            if cluster is not None:
                main = postmaster(cluster)
                groups["PostgreSQL"] = lambda pid, ppid, pgrp: main in (pid, ppid)
            outcome.cpu = run_locust(
                args,
                workdir,
                base,
                {**env, **client_env(args, workdir, password, scheme)},
                groups,
            )
        # gunicorn and the worker are stopped: the database holds everything they did.
        report = json.loads(manage(env, "prepare_load", "--benchmark-database", "--report"))
        analyse(outcome, workdir, report, skip)
    return outcome


# --------------------------------------------------------------------------------------------
# Reading the results
# --------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 0.0


def analyse(outcome: Outcome, workdir: Path, report: dict[str, Any], skip: int) -> None:
    with (workdir / "locust_stats.csv").open(newline="") as stream:
        for row in csv.DictReader(stream):
            figures = {
                "name": row["Name"] if row["Type"] else "",
                "method": row["Type"],
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": number(row["Requests/s"]),
                "p50": number(row["50%"]),
                "p95": number(row["95%"]),
                "p99": number(row["99%"]),
                "max": number(row["Max Response Time"]),
            }
            if row["Name"] == "Aggregated":
                outcome.total = figures
            else:
                outcome.rows.append(figures)
    with (workdir / "locust_failures.csv").open(newline="") as stream:
        outcome.failures = [
            {"name": r["Name"], "error": r["Error"], "count": r["Occurrences"]}
            for r in csv.DictReader(stream)
        ]
    statuses: Counter[str] = Counter()
    times: list[float] = []
    with (workdir / "access.log").open("rb") as stream:
        stream.seek(skip)
        access = stream.read().decode()
    for line in access.splitlines():
        parts = line.split()
        if len(parts) == 4:
            statuses[parts[0]] += 1
            times.append(float(parts[3]))
    outcome.server_statuses = dict(sorted(statuses.items()))
    if times:
        outcome.server_ms = {
            "p50": percentile(times, 0.50),
            "p95": percentile(times, 0.95),
            "p99": percentile(times, 0.99),
        }

    events: dict[str, dict[str, dict[str, Any]]] = {}
    log_path = workdir / "clients.jsonl"
    for line in log_path.read_text().splitlines() if log_path.exists() else []:
        event = json.loads(line)
        events.setdefault(event["event"], {})[event["email"]] = event
    seen = events.get("submitted", {})
    confirmed = events.get("confirmed", {})
    by_email: dict[str, list[dict[str, Any]]] = {}
    for application in report["applications"]:
        by_email.setdefault(application["email"], []).append(application)
    submitted = {email: [a for a in apps if a["submitted_at"]] for email, apps in by_email.items()}
    # Seen succeed (redirected to the application page) but not submitted in the database.
    lost = [
        email
        for email, event in seen.items()
        if not any(a["pk"] == event["pk"] for a in submitted.get(email, []))
    ]
    # The reference shown to the person differs from the stored one.
    mismatched = [
        email
        for email, event in confirmed.items()
        if not any(a["reference"] == event["reference"] for a in submitted.get(email, []))
    ]
    # More than one application for the call, or a submission recorded twice.
    duplicated = sorted(
        {email for email, apps in by_email.items() if len(apps) > 1}
        | {
            a["email"]
            for apps in submitted.values()
            for a in apps
            if a["submit_events"] != 1 or a["revisions"] != 1
        }
    )
    # Submitted in the database without the client having seen the answer: only acceptable
    # for a POST still in flight when the run ended ("interrupted"), never otherwise.
    unseen = [email for email, apps in submitted.items() if apps and email not in seen]
    interrupted = [
        email
        for email in unseen
        if email in events.get("submitting", {}) and email not in events.get("abandoned", {})
    ]
    outcome.checks = {
        "accounts": report["accounts"],
        "submitted": len(seen),
        "confirmed": len(confirmed),
        "double_clicks": sum(1 for e in seen.values() if e["double_click"]),
        "in_database": sum(len(apps) for apps in submitted.values()),
        "drafts_left": sum(1 for apps in by_email.values() for a in apps if not a["submitted_at"]),
        "abandoned": len(events.get("abandoned", {})),
        "lost": lost,
        "duplicated": duplicated,
        "unseen": [email for email in unseen if email not in interrupted],
        "interrupted": interrupted,
        "mismatched": mismatched,
        "server_errors": sum(n for status, n in statuses.items() if int(status) >= 400),
        # Users still busy STOP_TIMEOUT_S after the end were killed mid-request.
        "forced_stop": "Not all users finished" in (workdir / "locust.log").read_text(),
    }


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{cpu}, {os.cpu_count()} CPU, Python {platform.python_version()}"


def ms(value: float) -> str:
    return f"{value:,.0f} ms"


def section(o: Outcome) -> str:
    c = o.checks
    verdict = "**pass**" if o.passed else "**FAIL**"
    statuses = ", ".join(f"{status}: {count:,}" for status, count in o.server_statuses.items())
    server = (
        f"server time (gunicorn) p50 {ms(o.server_ms['p50'])}, p95 {ms(o.server_ms['p95'])}, "
        f"p99 {ms(o.server_ms['p99'])}"
        if o.server_ms
        else "no server timing"
    )
    cpu = ", ".join(f"{name} {share:.0f} %" for name, share in o.cpu.items()) or "?"
    lines = [
        f"### {o.label}",
        "",
        f"{o.users} users for {o.duration} s, gunicorn {o.workers} workers x {o.threads} "
        f"threads; {o.total['requests']:,} requests, {o.total['rps']:.1f} req/s, "
        f"{o.total['failures']} failed; p50 {ms(o.total['p50'])}, **p95 "
        f"{ms(o.total['p95'])}**, p99 {ms(o.total['p99'])} (client side); {server}. "
        f"Responses by status: {statuses}. CPU used during the run, in % of one CPU (the "
        f"machine has {os.cpu_count()}): {cpu}.",
        "",
        f"Submissions: {c['submitted']:,} seen by the clients ({c['double_clicks']:,} "
        f"double-clicked), {c['in_database']:,} in the database; lost {len(c['lost'])}, "
        f"duplicated {len(c['duplicated'])}, unseen {len(c['unseen'])}, reference mismatches "
        f"{len(c['mismatched'])}; {len(c['interrupted'])} submitted while the run ended "
        f"(answer not received), {c['drafts_left']:,} drafts left by users stopped mid-way. "
        + ("Some users were stopped by force at the end. " if c["forced_stop"] else "")
        + f"Verdict: {verdict}.",
        "",
        "| request | count | failures | req/s | p50 | p95 | p99 | max |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in sorted(o.rows, key=lambda r: -r["requests"]):
        lines.append(
            f"| `{row['name']}` | {row['requests']:,} | {row['failures']} | {row['rps']:.2f} "
            f"| {ms(row['p50'])} | {ms(row['p95'])} | {ms(row['p99'])} | {ms(row['max'])} |"
        )
    t = o.total
    lines.append(
        f"| **all** | **{t['requests']:,}** | **{t['failures']}** | **{t['rps']:.1f}** "
        f"| **{ms(t['p50'])}** | **{ms(t['p95'])}** | **{ms(t['p99'])}** | **{ms(t['max'])}** |"
    )
    if o.failures:
        lines += ["", "Failures:", ""]
        lines += [f"- {f['count']} x `{f['name']}`: {f['error']}" for f in o.failures[:20]]
    lines += ["", f"_{o.started[:10]}, {machine()}._"]
    return "\n".join(lines)


INTRO = """\
## Load (`bench/load.py`)

`python bench/load.py --database both --users 100 --duration 300` (or `make bench-load`; the
PostgreSQL part starts a throwaway cluster, which needs root or the `postgres` user, else pass
`--postgres-url`). For each database: a fresh database, `migrate`, `seed_demo`, one open call
and enough applicant accounts (`manage.py prepare_load`); gunicorn on 127.0.0.1 with the
production settings (`MAILLAGE_DEBUG=0`, WhiteNoise, HSTS, secure cookies and SSL redirect,
behind a simulated TLS proxy: `MAILLAGE_SECURE_PROXY_SSL_HEADER=1` and the client sends
`X-Forwarded-Proto: https`), the task worker (`db_worker`: receipts and e-mails, to a dummy
mail backend), a warm-up of the public pages, then locust (headless, same machine) for 5
minutes with 100 users, started 10 per second:

- 3 in 5 are anonymous visitors: home, calls, directory searches (typed, live through htmx
  while typing, with filters, next page), profiles, commune lookup, taxonomy; 2-8 s between
  pages;
- 2 in 5 are applicants: log in, open the call, fill the eight steps of an application (CSRF
  tokens taken from the pages, competence suggestions, a resource person found through the
  htmx search, a PDF attached one time in three), submit it — one time in four with a double
  click, two concurrent POSTs — read it and its PDF receipt, log out, and start again with a
  new account; 2-6 s between pages. Real people take minutes per step: the pace is
  deliberately fast.

Requests never follow redirects: every page is timed and checked on its own (status, redirect
target, content type). Times are measured by the client, so they include queueing and the
load generator's own share of the 2 CPUs; the server's own time comes from gunicorn's access
log. Afterwards the database is compared with what the clients saw: every submission a client
saw succeed (redirected to its application page) exists exactly once — one application per
applicant and call, one "submitted" event, one stored version, the reference shown — none is
lost, none exists unseen (except a POST still in flight when the run ended, reported apart).
An error is any failed request (locust) or any response with a status of 400 or more
(gunicorn's access log); the verdict needs 0 of both.

Sizing: 3 gthread workers x 4 threads for 2 CPUs. Django's work is CPU-bound Python: more
processes than CPUs only add context switches, while threads cover the time a request waits
for the database (SQLite releases the GIL while it works; PostgreSQL is another process); one
process more than CPUs keeps both busy when a request waits. Keep-alive is 75 s (nginx's
default) rather than gunicorn's 2 s: a client reusing a connection at the moment the server
closes it gets "connection reset", which a browser retries but a benchmark counts as an
error; in production a proxy faces the browsers. See "Sizing" below for the configurations
measured."""


def write_doc(outcome: Outcome) -> None:
    """Replace this database's subsection between the load markers, keep the others."""
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    subsections: dict[str, str] = {}
    extra = ""
    if START in text and END in text:
        before, rest = text.split(START, 1)
        old, after = rest.split(END, 1)
        for part in old.split("\n### ")[1:]:
            title = part.split("\n", 1)[0].strip()
            if title.startswith("Sizing"):
                extra = "### " + part.strip()
            else:
                subsections[title.split(" ")[0]] = "### " + part.strip()
    else:
        before, after = text.rstrip() + "\n\n", "\n"
    subsections[outcome.label.split(" ")[0]] = section(outcome)
    body = "\n\n".join(subsections[k] for k in sorted(subsections, key=lambda k: k != "SQLite"))
    if extra:
        body += "\n\n" + extra
    DOC.write_text(f"{before}{START}\n{INTRO}\n\n{body}\n{END}{after}")


def summary(o: Outcome) -> str:
    c = o.checks
    problems = {k: c[k][:10] for k in ("lost", "duplicated", "unseen", "mismatched") if c[k]}
    return (
        f"{o.label}: {o.total['requests']:,} requests, {o.total['rps']:.1f} req/s, "
        f"{o.total['failures']} failures, server errors {c['server_errors']}, "
        f"p95 {o.total['p95']:.0f} ms; {c['submitted']} submissions seen, "
        f"{c['in_database']} in the database, {c['abandoned']} journeys abandoned"
        + (f"; problems: {problems}" if problems else "")
        + (f"; {len(o.failures)} kinds of failure: {o.failures[:5]}" if o.failures else "")
        + f" -> {'pass' if o.passed else 'FAIL'}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.accounts = args.accounts or default_accounts(args.users, args.duration)
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    outcomes = []
    for database in databases:
        outcome = run_one(database, args)
        outcomes.append(outcome)
        print(section(outcome))
        print(summary(outcome))
        if not args.no_write:
            write_doc(outcome)
            print(f"written to {DOC.relative_to(ROOT)}")
    for outcome in outcomes:
        print(summary(outcome))
    return 0 if all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
