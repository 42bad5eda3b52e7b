"""``manage.py rebuild_directory``: recompute the directory search index from scratch."""

import time
from typing import Any

from django.core.management.base import BaseCommand

from maillage.directory.services import rebuild_directory_index


class Command(BaseCommand):
    help = (
        "Reconstruit l'index de recherche de l'annuaire (après un import en masse ou une "
        "modification directe en base)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        indexed = rebuild_directory_index()
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Index de l'annuaire reconstruit en {elapsed:.1f} s : "
                f"{indexed} personnes-ressources indexées."
            )
        )
