"""``manage.py demo_accounts``: print the demo accounts and the local address."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from maillage.core.demo import (
    DEMO_ACCOUNTS,
    DEMO_TOTP_SECRET,
    DEMO_URL,
    enrol_demo_second_factor,
)


class Command(BaseCommand):
    help = "Affiche les comptes de démonstration (adresse e-mail, rôle, mot de passe)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DEBUG:
            # A demo database seeded before the second factor existed gets the demo devices.
            enrol_demo_second_factor()
        headers = ("Adresse e-mail", "Rôle", "Mot de passe")
        widths = [
            max(len(row[i]) for row in [headers, *DEMO_ACCOUNTS]) for i in range(len(headers))
        ]

        def line(cells: tuple[str, str, str]) -> str:
            return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Comptes de démonstration"))
        self.stdout.write(line(headers).rstrip())
        self.stdout.write("  ".join("-" * width for width in widths))
        for account in DEMO_ACCOUNTS:
            self.stdout.write(line(account).rstrip())
        self.stdout.write("")
        self.stdout.write(f"Ouvrez {DEMO_URL} et connectez-vous avec l'un de ces comptes.")
        self.stdout.write(
            "Coordination, comité, financeur et administration demandent ensuite un code de "
            "vérification : « .venv/bin/python manage.py demo_totp ADRESSE » l'affiche, ou "
            f"ajoutez la clé de démonstration {DEMO_TOTP_SECRET} à une application "
            "d'authentification."
        )
        self.stdout.write(
            "Ces comptes et toutes les données de démonstration sont fictifs ; "
            "ne les utilisez jamais en production."
        )
