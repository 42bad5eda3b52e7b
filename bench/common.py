"""Helpers shared by the benchmark scripts (bench/directory.py, bench/pairing.py)."""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Iterator
from pathlib import Path


def prepare_database(url: str, reuse: bool) -> None:
    """An empty database at ``url`` (unless ``reuse``): file removed or database recreated."""
    if url.startswith("sqlite:"):
        path = Path(url.split("sqlite:///", 1)[1])
        if not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg
    from psycopg import sql

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reuse:
            return
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def cpu_description() -> str:
    """The CPU's model name and count, and the Python version."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPU, Python {platform.python_version()}"


def database_label() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"


@contextlib.contextmanager
def seeding_workaround() -> Iterator[None]:
    """PostgreSQL only: no plain index scans while seeding.

    seed_demo's final ``UPDATE applications SET created_at = (SELECT at FROM events WHERE
    application_id = … ORDER BY at LIMIT 1)`` runs on tables loaded in the same transaction,
    so without statistics; PostgreSQL then walks the index on ``at`` for every application
    (quadratic: hours at scale 420). Bitmap scans of the ``application_id`` index keep it
    linear. Reported to the maintainers of maillage/core/demo.py; harmless for SQLite.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET enable_indexscan = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_indexscan")
