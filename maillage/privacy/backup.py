"""Backups: one .tar.gz with the database, the uploaded files and a manifest; restoring it.

SQLite is copied with the online backup API (consistent while the site runs, WAL included)
and restored the same way, page by page into the target, so no half-copied file is ever the
live database. PostgreSQL uses ``pg_dump -Fc`` and ``pg_restore --clean --if-exists
--no-owner --single-transaction``. Functions take a database settings dict and a media
folder, so tests can back up one database and restore into another.
"""

import datetime
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from django.utils import timezone

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media"
SQLITE_FILE = "database.sqlite3"
POSTGRESQL_FILE = "database.dump"
# Rows that migrations create in every database: they do not make a database "non-empty".
SCHEMA_TABLE_PREFIXES = (
    "django_migrations",
    "django_content_type",
    "auth_permission",
    "geography_",
    "competences_",
    "sqlite_",
)


class BackupError(Exception):
    pass


def engine_of(database: Mapping[str, Any]) -> str:
    engine = str(database["ENGINE"])
    if engine.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(f"unsupported database engine {engine}")


def _sqlite_connect(database: Mapping[str, Any]) -> sqlite3.Connection:
    name = str(database["NAME"])
    return sqlite3.connect(name, uri=name.startswith("file:"))


def _pg_env(database: Mapping[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    return env


def _pg_args(database: Mapping[str, Any]) -> list[str]:
    args = []
    if database.get("HOST"):
        args += ["--host", str(database["HOST"])]
    if database.get("PORT"):
        args += ["--port", str(database["PORT"])]
    if database.get("USER"):
        args += ["--username", str(database["USER"])]
    return args


@contextmanager
def _pg_connection(database: Mapping[str, Any]) -> Iterator[Any]:
    import psycopg

    with psycopg.connect(
        dbname=database["NAME"],
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
    ) as conn:
        yield conn


def table_counts(database: Mapping[str, Any]) -> dict[str, int]:
    """Rows per table, read with the driver directly (works for any database dict)."""
    if engine_of(database) == "sqlite":
        with closing(_sqlite_connect(database)) as conn:
            names = [
                row[0]
                for row in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            return {
                name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]  # noqa: S608
                for name in names
            }
    with _pg_connection(database) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        counts = {}
        for name in names:
            row = conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()  # noqa: S608
            counts[name] = row[0] if row else 0
        return counts


def _migrations(database: Mapping[str, Any]) -> dict[str, list[str]]:
    query = "SELECT app, name FROM django_migrations ORDER BY app, id"
    rows: list[tuple[str, str]] = []
    try:
        if engine_of(database) == "sqlite":
            with closing(_sqlite_connect(database)) as conn:
                rows = list(conn.execute(query))
        else:
            with _pg_connection(database) as conn:
                rows = [(r[0], r[1]) for r in conn.execute(query)]
    except Exception:  # noqa: BLE001 - a database without Django's tables has no migrations
        return {}
    state: dict[str, list[str]] = {}
    for app, name in rows:
        state.setdefault(app, []).append(name)
    return state


def holds_data(database: Mapping[str, Any]) -> bool:
    """Whether the database holds rows beyond what migrations create (reference data)."""
    try:
        counts = table_counts(database)
    except Exception:  # noqa: BLE001 - a database that cannot be read holds nothing we know of
        return False
    return any(
        count for name, count in counts.items() if not name.startswith(SCHEMA_TABLE_PREFIXES)
    )


def _media_files(media_root: Path) -> list[Path]:
    if not media_root.is_dir():
        return []
    return sorted(path for path in media_root.rglob("*") if path.is_file())


def create_backup(
    target: Path,
    *,
    database: Mapping[str, Any],
    media_root: Path,
    now: datetime.datetime | None = None,
) -> dict[str, Any]:
    """Write the archive to ``target`` (a .tar.gz path); returns its manifest."""
    engine = engine_of(database)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        if engine == "sqlite":
            dump = Path(workdir) / SQLITE_FILE
            with (
                closing(_sqlite_connect(database)) as source,
                closing(sqlite3.connect(dump)) as copy,
            ):
                source.backup(copy)
        else:
            dump = Path(workdir) / POSTGRESQL_FILE
            subprocess.run(  # noqa: S603 - fixed program, arguments from settings
                ["pg_dump", "--format=custom", "--file", str(dump), *_pg_args(database)]
                + ["--dbname", str(database["NAME"])],
                check=True,
                env=_pg_env(database),
                capture_output=True,
            )
        files = _media_files(media_root)
        manifest = {
            "format_version": FORMAT_VERSION,
            "created_at": (now or timezone.now()).isoformat(),
            "engine": engine,
            "database_file": dump.name,
            "migrations": _migrations(database),
            "tables": table_counts(database),
            "media_files": [path.relative_to(media_root).as_posix() for path in files],
        }
        manifest_path = Path(workdir) / MANIFEST
        manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(manifest_path, MANIFEST)
            archive.add(dump, dump.name)
            for path in files:
                relative = path.relative_to(media_root).as_posix()
                archive.add(path, f"{MEDIA_PREFIX}/{relative}")
        # Only a complete archive gets the final name.
        os.replace(partial, target)
    return manifest


def read_manifest(archive_path: Path) -> dict[str, Any]:
    with tarfile.open(archive_path, "r:gz") as archive:
        member = archive.extractfile(MANIFEST)
        if member is None:
            raise BackupError("the archive has no manifest")
        manifest: dict[str, Any] = json.load(member)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"unknown backup format {manifest.get('format_version')!r}")
    return manifest


def _safe_media_name(name: str) -> PurePosixPath | None:
    """The path under media/ of an archive member, or None if it is not a plain one."""
    path = PurePosixPath(name)
    if path.parts[:1] != (MEDIA_PREFIX,) or len(path.parts) < 2:
        return None
    relative = PurePosixPath(*path.parts[1:])
    if relative.is_absolute() or ".." in relative.parts:
        raise BackupError(f"unsafe path in archive: {name}")
    return relative


def restore_backup(
    archive_path: Path,
    *,
    database: Mapping[str, Any],
    media_root: Path,
    force: bool = False,
) -> dict[str, Any]:
    """Restore database and uploaded files; refuses a database holding data unless ``force``."""
    manifest = read_manifest(archive_path)
    engine = engine_of(database)
    if manifest["engine"] != engine:
        raise BackupError(
            f"the backup is of a {manifest['engine']} database, the target is {engine}"
        )
    if not force and holds_data(database):
        raise BackupError(
            "the target database already holds data: restore with --force to replace it"
        )
    with tempfile.TemporaryDirectory() as workdir, tarfile.open(archive_path, "r:gz") as archive:
        dump_member = archive.getmember(manifest["database_file"])
        source = archive.extractfile(dump_member)
        if source is None:
            raise BackupError("the archive has no database file")
        dump = Path(workdir) / PurePosixPath(dump_member.name).name
        dump.write_bytes(source.read())
        if engine == "sqlite":
            with closing(sqlite3.connect(dump)) as copy, closing(_sqlite_connect(database)) as live:
                copy.backup(live)
        else:
            command = ["pg_restore", "--clean", "--if-exists", "--no-owner"]
            command += ["--single-transaction", *_pg_args(database)]
            command += ["--dbname", str(database["NAME"]), str(dump)]
            subprocess.run(  # noqa: S603 - fixed program, arguments from settings
                command,
                check=True,
                env=_pg_env(database),
                capture_output=True,
            )
        media_root.mkdir(parents=True, exist_ok=True)
        for member in archive.getmembers():
            relative = _safe_media_name(member.name)
            if relative is None:
                continue
            if not member.isfile():
                raise BackupError(f"unexpected entry in archive: {member.name}")
            destination = media_root / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            extracted = archive.extractfile(member)
            if extracted is None:
                continue
            partial = destination.with_name(destination.name + ".partial")
            partial.write_bytes(extracted.read())
            os.replace(partial, destination)
    return manifest
