"""``manage.py demo_totp EMAIL``: the current second-factor code of a demo account (DEBUG only).

Demo staff accounts share a public TOTP secret (``maillage.core.demo.DEMO_TOTP_SECRET``), so an
evaluator without an authenticator app can still sign in. A demo staff account seeded before
the second factor existed gets the demo device here.
"""

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from maillage.core.demo import DEMO_EMAIL_DOMAIN, enrol_demo_second_factor
from maillage.people.models import User


class Command(BaseCommand):
    help = "Affiche le code de double authentification actuel d'un compte de démonstration."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="adresse e-mail du compte de démonstration")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "demo_totp ne fonctionne qu'en développement (MAILLAGE_DEBUG=1) : en "
                "production, chaque personne utilise sa propre application d'authentification."
            )
        email = str(options["email"]).strip().lower()
        if not email.endswith(DEMO_EMAIL_DOMAIN):
            raise CommandError(
                f"{email} n'est pas un compte de démonstration ({DEMO_EMAIL_DOMAIN})."
            )
        user = User.objects.filter(email=email).first()
        if user is None:
            raise CommandError(f"Aucun compte {email} : lancez d'abord « manage.py seed_demo ».")
        enrol_demo_second_factor([email])
        device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            raise CommandError(f"{email} n'a pas de rôle qui demande la double authentification.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        remaining = device.step - int(totp.time - device.t0) % device.step
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        self.stderr.write(f"(valable encore {remaining} s)")
