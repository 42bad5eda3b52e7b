from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "maillage.directory"
    verbose_name = _("Annuaire des personnes-ressources")

    def ready(self) -> None:
        from . import signals

        signals.connect()
