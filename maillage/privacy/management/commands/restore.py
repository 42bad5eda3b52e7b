"""Restore a backup archive into the configured database and MEDIA_ROOT."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.loader import MigrationLoader

from maillage.privacy import backup
from maillage.privacy.audit import record
from maillage.privacy.models import AuditAction


class Command(BaseCommand):
    help = "Restore a backup written by `manage.py backup`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="the .tar.gz written by manage.py backup")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that already holds data",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        database = dict(connections[DEFAULT_DB_ALIAS].settings_dict)
        # Our own connection must not hold the file (SQLite) or the tables (PostgreSQL).
        connections.close_all()
        try:
            manifest = backup.restore_backup(
                Path(options["archive"]),
                database=database,
                media_root=Path(settings.MEDIA_ROOT),
                force=options["force"],
            )
        except (backup.BackupError, OSError) as error:
            raise CommandError(str(error)) from error
        except Exception as error:  # subprocess failures carry pg_restore's message
            raise CommandError(
                f"restore failed: {getattr(error, 'stderr', '') or error}"
            ) from error
        try:
            record(AuditAction.RESTORE, None, backup_created_at=manifest["created_at"][:32])
        except DatabaseError:
            # A backup older than the audit log's tables: `migrate` creates them.
            self.stderr.write("restore not recorded in the audit log (run migrate first)")
        applied = set(MigrationLoader(connections[DEFAULT_DB_ALIAS]).applied_migrations)
        known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
        if known - applied:
            self.stdout.write("The backup predates some migrations: run `manage.py migrate`.")
        self.stdout.write(
            f"restored {sum(manifest['tables'].values())} rows and "
            f"{len(manifest['media_files'])} files from {manifest['created_at']}"
        )
