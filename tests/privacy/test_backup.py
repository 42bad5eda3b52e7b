"""A backup restored into a fresh database holds every row and every uploaded file."""

import sqlite3
import tarfile
from contextlib import closing
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from maillage.privacy.backup import BackupError, create_backup, restore_backup, table_counts
from maillage.privacy.models import AuditAction
from tests.factories import (
    ApplicationFactory,
    AttachmentFactory,
    AuditEventFactory,
    MessageFactory,
    ResourcePersonFactory,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _seed() -> None:
    application = ApplicationFactory(submitted=True)
    AttachmentFactory(application=application)
    AttachmentFactory(application=application, original_name="lettre.pdf")
    MessageFactory(application=application)
    ResourcePersonFactory()
    AuditEventFactory(action=AuditAction.LOGIN)


def _media(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def fresh_database(tmp_path):
    """A second, empty database of the same engine as the test database."""
    source = connection.settings_dict
    if connection.vendor == "sqlite":
        yield {"ENGINE": source["ENGINE"], "NAME": str(tmp_path / "restored.sqlite3")}
        return
    name = f"{source['NAME']}_restore"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield {**source, "NAME": name}
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_then_restore_into_a_fresh_database_finds_every_row_and_file(
    tmp_path, fresh_database
):
    _seed()
    source = connection.settings_dict
    media = Path(settings.MEDIA_ROOT)
    archive = tmp_path / "backup.tar.gz"

    manifest = create_backup(archive, database=source, media_root=media)

    assert manifest["engine"] == connection.vendor
    assert "0002_append_only_triggers" in manifest["migrations"]["privacy"]
    assert len(manifest["media_files"]) == 2
    with tarfile.open(archive) as tar:
        assert "manifest.json" in tar.getnames()
    restored_media = tmp_path / "restored-media"
    restore_backup(archive, database=fresh_database, media_root=restored_media)

    counts = table_counts(fresh_database)
    assert counts == table_counts(source) == manifest["tables"]
    assert counts["applications_attachment"] == 2 and counts["people_user"] >= 2
    assert _media(restored_media) == _media(media) and len(_media(media)) == 2


def test_restore_refuses_a_database_holding_data_unless_forced(tmp_path, fresh_database):
    _seed()
    archive = tmp_path / "backup.tar.gz"
    create_backup(archive, database=connection.settings_dict, media_root=Path(settings.MEDIA_ROOT))
    restore_backup(archive, database=fresh_database, media_root=tmp_path / "m")
    with pytest.raises(BackupError, match="already holds data"):
        restore_backup(archive, database=fresh_database, media_root=tmp_path / "m")
    restore_backup(archive, database=fresh_database, media_root=tmp_path / "m", force=True)
    assert table_counts(fresh_database) == table_counts(connection.settings_dict)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite file check")
def test_restored_sqlite_keeps_the_audit_triggers(tmp_path, fresh_database):
    _seed()
    archive = tmp_path / "backup.tar.gz"
    create_backup(archive, database=connection.settings_dict, media_root=Path(settings.MEDIA_ROOT))
    restore_backup(archive, database=fresh_database, media_root=tmp_path / "m")
    with (
        closing(sqlite3.connect(fresh_database["NAME"])) as restored,
        pytest.raises(sqlite3.IntegrityError, match="append-only"),
    ):
        restored.execute("UPDATE privacy_auditevent SET action = 'logout'")


def test_commands(tmp_path):
    _seed()
    call_command("backup", output=str(tmp_path))
    [archive] = list(tmp_path.glob("maillage-*.tar.gz"))
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(archive))
