"""``manage.py prepare_load``: accounts and an open call for the load benchmark (bench/load.py).

    manage.py prepare_load --benchmark-database --accounts 3000 --password …   # create
    manage.py prepare_load --benchmark-database --report                       # JSON to stdout

Creates one open call and N applicant accounts, each with its own organisation in the
programme's region (so every application is eligible), declared as the organisation's leader
(no employer agreement to wait for). All accounts share one password, hashed once: hashing
thousands of passwords with Argon2 would take minutes. ``--report`` prints, for every load
account, its applications for the load call (state, reference, submission events, stored
revisions): bench/load.py compares it with what the simulated users saw.

The accounts have a known password: the command refuses to run without
``--benchmark-database``, which bench/load.py passes for the throwaway database it creates.
"""

import datetime
import json
import random
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from maillage.applications.models import Application, ApplicationState
from maillage.calls.models import Call, Programme
from maillage.core.demo import PROGRAMME_SLUG
from maillage.geography.models import Commune
from maillage.organisations.models import ActivityType, LegalForm, Organisation
from maillage.organisations.models import OrganisationActivity as Activity
from maillage.people.models import EmploymentStatus, Role, RoleGrant, User

LOAD_CALL_SLUG = "appel-test-de-charge"
LOAD_EMAIL_DOMAIN = "charge.maillage.invalid"
BATCH_SIZE = 500


def load_email(number: int) -> str:
    """The address of load account ``number`` (bench/load_locustfile.py builds the same)."""
    return f"candidat-{number:05d}@{LOAD_EMAIL_DOMAIN}"


class Command(BaseCommand):
    help = (
        "Prépare une base de test de charge : un appel ouvert et N comptes de candidat·es "
        "(bench/load.py). --report affiche l'état des candidatures de ces comptes en JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--benchmark-database",
            action="store_true",
            help="confirme que la base est jetable (les comptes ont un mot de passe connu)",
        )
        parser.add_argument("--accounts", type=int, default=0, help="comptes à créer")
        parser.add_argument("--password", default="", help="mot de passe commun des comptes")
        parser.add_argument("--seed", type=int, default=11, help="graine aléatoire")
        parser.add_argument(
            "--report", action="store_true", help="affiche les candidatures des comptes (JSON)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["benchmark_database"]:
            raise CommandError(
                "Réservé aux bases jetables du test de charge : ajoutez --benchmark-database."
            )
        if options["report"]:
            self.stdout.write(json.dumps(report(), ensure_ascii=False))
            return
        if options["accounts"] < 1 or len(options["password"]) < 12:
            raise CommandError("Indiquez --accounts N (N ≥ 1) et --password (12 caractères ou +).")
        call = open_load_call()
        created = create_accounts(options["accounts"], options["password"], options["seed"])
        self.stdout.write(
            f"Appel « {call.slug} » ouvert ; {created} comptes de candidat·es créés "
            f"({load_email(1)} …)."
        )


def open_load_call() -> Call:
    """An open call of the demo programme (or of a minimal one on a database without demo)."""
    programme = Programme.objects.filter(slug=PROGRAMME_SLUG).first()
    if programme is None:
        programme = Programme.objects.create(
            name="Transfert de savoir-faire / Mentorat", slug=PROGRAMME_SLUG, region_code="76"
        )
    today = timezone.localdate()
    call, _created = Call.objects.update_or_create(
        slug=LOAD_CALL_SLUG,
        defaults={
            "programme": programme,
            "title": "Appel à candidatures — test de charge",
            "summary": "Appel ouvert pour le test de charge de la plateforme.",
            "text": "Appel ouvert pour le test de charge de la plateforme.",
            "opens_on": today - datetime.timedelta(days=1),
            "closes_on": today + datetime.timedelta(days=30),
            "budget_envelope": Decimal("500000.00"),
            "published": True,
        },
    )
    return call


@transaction.atomic
def create_accounts(count: int, password: str, seed: int) -> int:
    """Accounts 1…count that do not exist yet, each with its own organisation; returns how
    many were created."""
    existing = set(
        User.objects.filter(email__endswith=f"@{LOAD_EMAIL_DOMAIN}").values_list("email", flat=True)
    )
    numbers = [n for n in range(1, count + 1) if load_email(n) not in existing]
    if not numbers:
        return 0
    region = Programme.objects.get(slug=PROGRAMME_SLUG).region_code
    communes = list(
        Commune.objects.filter(departement__region_code=region)
        .order_by("-population")
        .values_list("pk", flat=True)[:200]
    )
    if not communes:
        raise CommandError("Aucune commune dans la région du programme : migrez d'abord.")
    rng = random.Random(seed)
    organisations = [
        Organisation(
            name=f"Structure test de charge {n:05d}",
            legal_form=LegalForm.ASSOCIATION,
            commune_id=rng.choice(communes),
        )
        for n in numbers
    ]
    Organisation.objects.bulk_create(organisations, batch_size=BATCH_SIZE)
    Activity.objects.bulk_create(
        [Activity(organisation=o, activity=ActivityType.VENUE) for o in organisations],
        batch_size=BATCH_SIZE,
    )
    hashed = make_password(password)
    users = [
        User(
            email=load_email(n),
            first_name="Candidat·e",
            last_name=f"Charge {n:05d}",
            job_title="Direction",
            employment_status=EmploymentStatus.LEADER,
            organisation=organisation,
            password=hashed,
        )
        for n, organisation in zip(numbers, organisations, strict=True)
    ]
    User.objects.bulk_create(users, batch_size=BATCH_SIZE)
    RoleGrant.objects.bulk_create(
        [RoleGrant(user=user, role=Role.APPLICANT) for user in users], batch_size=BATCH_SIZE
    )
    return len(users)


def report() -> dict[str, Any]:
    """Every application of the load call, by applicant e-mail, with what proves a single
    submission: one reference, one "submitted" event, one stored revision."""
    applications = (
        Application.objects.filter(call__slug=LOAD_CALL_SLUG)
        .values("pk", "applicant__email", "state", "reference", "submitted_at")
        .annotate(
            submit_events=Count(
                "events", filter=Q(events__to_state=ApplicationState.SUBMITTED), distinct=True
            ),
            stored_versions=Count("revisions", distinct=True),
        )
        .order_by("pk")
    )
    return {
        "call": LOAD_CALL_SLUG,
        "accounts": User.objects.filter(email__endswith=f"@{LOAD_EMAIL_DOMAIN}").count(),
        "applications": [
            {
                "pk": row["pk"],
                "email": row["applicant__email"],
                "state": row["state"],
                "reference": row["reference"],
                "submitted_at": row["submitted_at"].isoformat() if row["submitted_at"] else None,
                "submit_events": row["submit_events"],
                "revisions": row["stored_versions"],
            }
            for row in applications
        ],
    }
