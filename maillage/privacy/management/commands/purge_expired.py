"""Apply the retention periods (docs/privacy.md); schedule it daily (cron, systemd timer)."""

from typing import Any

from django.core.management.base import BaseCommand

from maillage.privacy import services


class Command(BaseCommand):
    help = "Anonymise or delete personal data past its retention period."

    def handle(self, *args: Any, **options: Any) -> None:
        report = services.purge_expired()
        for key, value in report.as_dict().items():
            if key != "cutoffs":
                self.stdout.write(f"{key}: {value}")
