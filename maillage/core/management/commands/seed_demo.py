"""``manage.py seed_demo``: load the synthetic demo data set (see maillage/core/demo.py)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.core.demo import DemoDataError, seed_demo
from maillage.organisations.models import Organisation

COUNT_LABELS = {
    "organisations": "structures",
    "people": "personnes",
    "resource_persons": "personnes-ressources",
    "resource_person_competences": "compétences déclarées",
    "applications": "candidatures",
    "events": "événements d'historique",
}


class Command(BaseCommand):
    help = (
        "Crée les données de démonstration (structures, personnes, personnes-ressources, "
        "candidatures, comptes de démonstration). Sans effet si elles existent déjà."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2026, help="graine aléatoire (2026)")
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help="multiplie le volume généré (1 = ~150 structures, ~400 personnes)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="ne rien faire si au moins une structure existe déjà (utilisé par make run)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["scale"] < 1:
            raise CommandError("--scale doit valoir au moins 1.")
        if options["if_empty"] and Organisation.objects.exists():
            self.stdout.write("Des structures existent déjà : données de démonstration non créées.")
            return
        started = time.perf_counter()
        try:
            result = seed_demo(seed=options["seed"], scale=options["scale"])
        except DemoDataError as error:
            raise CommandError(str(error)) from error
        if not result.created:
            self.stdout.write("Les données de démonstration existent déjà : rien n'a été créé.")
            return
        elapsed = time.perf_counter() - started
        details = ", ".join(
            f"{result.counts[key]} {label}"
            for key, label in COUNT_LABELS.items()
            if key in result.counts
        )
        self.stdout.write(
            self.style.SUCCESS(f"Données de démonstration créées en {elapsed:.1f} s : {details}.")
        )
