"""manage.py import_spreadsheet KIND FILE [--dry-run] [--as EMAIL]

The same import as the coordinators' page, for operators migrating from spreadsheets: one
transaction, nothing written when a row is in error (the command then exits with status 1),
and running it again on the same file reports every row as unchanged.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from maillage.imports import parsing, services
from maillage.people.models import User


class Command(BaseCommand):
    help = "Import organisations, resource persons or past transfers from a CSV or XLSX file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=parsing.KINDS)
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change, write nothing."
        )
        parser.add_argument(
            "--as",
            dest="actor",
            default="",
            help="E-mail of the account recorded as the author (none: the system).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate("fr")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        actor = None
        if options["actor"]:
            actor = User.objects.filter(email=options["actor"].strip().lower()).first()
            if actor is None:
                raise CommandError(f"no account with the address {options['actor']}")
        try:
            report, run = services.import_file(
                options["kind"],
                path.read_bytes(),
                path.name,
                actor=actor,
                dry_run=options["dry_run"],
            )
        except services.ImportRejected as rejected:
            raise CommandError(rejected.message) from rejected
        for row in report.rows:
            if row.outcome == services.Outcome.ERROR:
                for message in row.errors:
                    self.stderr.write(
                        _("ligne %(row)s (%(label)s) : %(message)s")
                        % {"row": row.number, "label": row.label, "message": message}
                    )
            elif row.outcome == services.Outcome.UPDATED and options["verbosity"] > 1:
                changed = ", ".join(change.field for change in row.changes)
                self.stdout.write(
                    _("ligne %(row)s (%(label)s) : %(message)s")
                    % {"row": row.number, "label": row.label, "message": changed}
                )
        counts = report.counts
        summary = _(
            "%(rows)s lignes : %(created)s créées, %(updated)s mises à jour, %(unchanged)s "
            "inchangées, %(error)s en erreur"
        ) % {"rows": len(report.rows), **counts}
        if report.ignored_columns:
            self.stdout.write(
                _("colonnes ignorées : %(columns)s")
                % {"columns": ", ".join(report.ignored_columns)}
            )
        if report.has_errors:
            raise CommandError(_("%(summary)s — rien n'a été importé.") % {"summary": summary})
        if run is None:
            self.stdout.write(_("%(summary)s (essai : rien n'a été écrit).") % {"summary": summary})
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("%(summary)s (import n°%(pk)s).") % {"summary": summary, "pk": run.pk}
                )
            )
