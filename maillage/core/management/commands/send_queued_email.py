"""``manage.py send_queued_email``: the outbox sweeper; schedule it every few minutes (cron).

Re-enqueues due e-mails whose task was lost, puts back in the queue e-mails left "sending" by
a worker that died, and deletes sent and failed e-mails past their retention period.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from maillage.core import emails


class Command(BaseCommand):
    help = (
        "Relance les e-mails en attente dont la tâche d'envoi a été perdue ou interrompue "
        "et supprime les e-mails envoyés ou en échec au-delà de leur durée de conservation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--inline",
            action="store_true",
            help="Envoyer les e-mails dus dans ce processus au lieu de les confier au worker.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = emails.sweep(inline=options["inline"])
        for key, value in report.as_dict().items():
            self.stdout.write(f"{key}: {value}")
