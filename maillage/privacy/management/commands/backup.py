"""Back up the database and the uploaded files into one .tar.gz (docs/security.md)."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from maillage.privacy import backup
from maillage.privacy.audit import record
from maillage.privacy.models import AuditAction


class Command(BaseCommand):
    help = "Write a backup archive: database, uploaded files, manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            default=str(Path(settings.BASE_DIR) / "var" / "backups"),
            help="a .tar.gz file, or a folder where a dated archive is written",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"])
        if output.suffixes[-2:] != [".tar", ".gz"]:
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            output = output / f"maillage-{stamp}.tar.gz"
        database = connections[DEFAULT_DB_ALIAS].settings_dict
        try:
            manifest = backup.create_backup(
                output, database=database, media_root=Path(settings.MEDIA_ROOT)
            )
        except (backup.BackupError, OSError) as error:
            raise CommandError(str(error)) from error
        except Exception as error:  # subprocess failures carry pg_dump's message
            raise CommandError(f"backup failed: {getattr(error, 'stderr', '') or error}") from error
        record(
            AuditAction.BACKUP,
            None,
            tables=len(manifest["tables"]),
            media_files=len(manifest["media_files"]),
        )
        self.stdout.write(
            f"{output} ({sum(manifest['tables'].values())} rows, "
            f"{len(manifest['media_files'])} files)"
        )
