from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PairingConfig(AppConfig):
    name = "maillage.pairing"
    verbose_name = _("Mise en relation")
