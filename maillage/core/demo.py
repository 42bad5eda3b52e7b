"""Seeded synthetic demo data: a programme, its calls, organisations, people, resource persons
and applications spread over Occitanie like the real sector.

Everything is generated in memory block by block, then written with ``bulk_create``: the
benchmark runs this at scale ~420 (50,000 resource persons), so there is no per-row query.
The same seed always yields the same data (one ``random.Random`` and one seeded Faker).
"""

from __future__ import annotations

import datetime
import itertools
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import reset_queries, transaction
from django.db.models import Min, Model, OuterRef, Subquery
from django.utils import timezone
from django.utils.text import slugify
from faker import Faker
from stdnum import luhn
from stdnum.fr import siret as stdnum_siret

from maillage.applications.models import Application, ApplicationEvent, ApplicationState
from maillage.calls.models import Call, Programme
from maillage.competences.models import Competence
from maillage.geography.models import Commune, Departement
from maillage.organisations.models import (
    ActivityType,
    LegalForm,
    Organisation,
    OrganisationActivity,
)
from maillage.people.models import (
    EmploymentStatus,
    Gender,
    Level,
    ResourcePerson,
    ResourcePersonCompetence,
    Role,
    RoleGrant,
    User,
    ValidationStatus,
)

# --------------------------------------------------------------------------------------------
# Public constants
# --------------------------------------------------------------------------------------------

DEMO_PASSWORD = "maillage-demo-2026"  # noqa: S105 (public, documented demo password)
DEMO_URL = "http://127.0.0.1:8000/"
PROGRAMME_SLUG = "tsf-mentorat"
OPEN_CALL_SLUG = "appel-2026"
PAST_CALL_SLUG = "appel-2025"
OPERATOR_NAME = "Fédération régionale des musiques actuelles d'Occitanie (démo)"
FUNDERS = "État (DRAC Occitanie), Centre national de la musique, Région Occitanie"
# Generated people get addresses on a reserved TLD (RFC 2606): mail can never reach anyone.
PEOPLE_EMAIL_DOMAIN = "exemple.invalid"

COORDINATOR_EMAIL = "coordination@maillage.demo"
COMMITTEE_EMAIL = "comite@maillage.demo"
FUNDER_EMAIL = "financeur@maillage.demo"
ADMIN_EMAIL = "admin@maillage.demo"
CANDIDATE_EMAIL = "candidate@maillage.demo"
RESOURCE_PERSON_EMAIL = "personne-ressource@maillage.demo"

# (e-mail, role label, password): printed by ``manage.py demo_accounts`` and in the README.
DEMO_ACCOUNTS: list[tuple[str, str, str]] = [
    (COORDINATOR_EMAIL, "Coordination", DEMO_PASSWORD),
    (COMMITTEE_EMAIL, "Membre du comité", DEMO_PASSWORD),
    (FUNDER_EMAIL, "Financeur", DEMO_PASSWORD),
    (ADMIN_EMAIL, "Administration", DEMO_PASSWORD),
    (CANDIDATE_EMAIL, "Candidat·e / mentoré·e", DEMO_PASSWORD),
    (RESOURCE_PERSON_EMAIL, "Personne-ressource", DEMO_PASSWORD),
]
# The role each demo account holds (tests check it).
DEMO_ACCOUNT_ROLES: dict[str, str] = {
    COORDINATOR_EMAIL: Role.COORDINATOR,
    COMMITTEE_EMAIL: Role.COMMITTEE,
    FUNDER_EMAIL: Role.FUNDER,
    ADMIN_EMAIL: Role.ADMIN,
    CANDIDATE_EMAIL: Role.APPLICANT,
    RESOURCE_PERSON_EMAIL: Role.RESOURCE_PERSON,
}
# The staff demo accounts (and the other committee members) have a second factor enrolled
# with this public, documented TOTP secret: add it to an authenticator app, or print the
# current code with ``manage.py demo_totp EMAIL`` (DEBUG only). Never use it in production.
DEMO_TOTP_KEY_HEX = b"maillage-demo-totp!!".hex()
DEMO_TOTP_SECRET = "NVQW S3DM MFTW KLLE MVWW 6LLU N52H AIJB"  # noqa: S105 (public demo key, base32)
DEMO_EMAIL_DOMAIN = "@maillage.demo"

# Per scale unit.
ORGANISATIONS_PER_UNIT = 150
PEOPLE_PER_UNIT = 400
RESOURCE_PERSONS_PER_UNIT = 120
APPLICATIONS_PER_UNIT = 200
# Scale units generated and written together: bounds memory at benchmark scales while keeping
# enough people per block for realistic cross-organisation proposals.
UNITS_PER_BLOCK = 5
BATCH_SIZE = 1000


class DemoDataError(Exception):
    """Reference data (geography, competences) is missing: run the migrations first."""


@dataclass
class SeedResult:
    created: bool
    counts: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

# Evocative, deliberately fictitious words (winds, landscapes, sound vocabulary of the south).
# fmt: off
NAME_WORDS = [
    "Tramontane", "Autan", "Cers", "Mistral", "Garrigue", "Causse", "Lauze", "Cigale", "Sirocco",
    "Larsen", "Décibel", "Contretemps", "Syncope", "Riff", "Groove", "Écho", "Onde Courte",
    "Fréquence Sud", "Pulsation", "Diapason", "Métronome", "Contrepoint", "Vibrato", "Tempo",
    "Sillon", "Vinyle", "Platine", "Ampli", "Fuzz", "Reverb", "Bruit Blanc", "Petite Lune",
    "Grand Bazar", "Mille Sabords", "Pavé Sonore", "Terre Rouge", "Brise-Lames", "Belle Étoile",
    "Nuit Blanche", "Oreilles Rouges", "Basse Cour", "Canopée", "Azimut", "Boussole", "Ricochet",
    "Tambour Battant", "Mille Pattes", "Grand Écart", "Cantera", "Ostal", "Farandole", "Rambla",
    "Solstice", "Équinoxe", "Zénith Sud", "Caravelle", "Lucioles", "Fanal", "Sémaphore",
    "Phare Ouest", "Roche Noire", "Bleu Causse", "Pic Vert", "Soleil Bas", "Vent Debout",
    "Poudre d'Or", "Moulin Rouge-Gorge", "Catamaran", "Tintamarre", "Charivari", "Ramdam",
    "Boucan", "Raffut", "Chahut", "Tohu-Bohu", "Hurluberlu", "Galurin", "Calypso", "Mandragore",
    "Tournesol", "Figuier", "Micocoulier", "Lavandin", "Cyprès", "Salicorne", "Étang Bleu",
    "Falaise", "Estive", "Transhumance", "Cardabelle",
]
VENUE_NOUNS = [
    "Le Hangar", "La Friche", "Le Bocal", "La Cave à Sons", "L'Entrepôt", "Le Quai",
    "La Filature", "Le Local", "La Verrière", "Le Garage", "La Grange", "Le Silo",
    "La Chapelle Électrique", "Le Préau", "La Forge", "L'Usine à Sons", "Le Kiosque",
    "La Tannerie", "Le Lavoir", "La Halle aux Sons",
]
# fmt: on


@dataclass(frozen=True)
class OrgPattern:
    template: str
    activities: tuple[str, ...]  # the first one is always kept
    extra: tuple[str, ...]  # possible second activity
    legal_forms: tuple[tuple[str, int], ...]
    headcount: tuple[int, int]
    weight: int
    # How the organisation is described in someone's need ("dans un festival à Millau").
    phrase: str


A = ActivityType
L = LegalForm
ORG_PATTERNS: list[OrgPattern] = [
    OrgPattern(
        "Association {word}",
        (A.PRODUCER,),
        (A.FESTIVAL, A.OTHER, A.VENUE),
        ((L.ASSOCIATION, 1),),
        (0, 4),
        14,
        "une association de musiques actuelles",
    ),
    OrgPattern(
        "{surname} Productions",
        (A.PRODUCER,),
        (A.LABEL, A.FESTIVAL),
        ((L.SARL, 5), (L.SAS, 4), (L.ASSOCIATION, 3), (L.SCOP, 1)),
        (1, 8),
        9,
        "une structure de production et de tournée",
    ),
    OrgPattern(
        "{word} Productions",
        (A.PRODUCER,),
        (A.LABEL, A.FESTIVAL),
        ((L.SARL, 4), (L.SAS, 3), (L.ASSOCIATION, 4), (L.SCIC, 1)),
        (1, 8),
        6,
        "une structure de production et de tournée",
    ),
    OrgPattern(
        "Festival {word} {commune_de}",
        (A.FESTIVAL,),
        (A.PRODUCER,),
        ((L.ASSOCIATION, 9), (L.SCIC, 1)),
        (0, 6),
        12,
        "un festival",
    ),
    OrgPattern(
        "SMAC {word}",
        (A.VENUE,),
        (A.STUDIO, A.SCHOOL, A.FESTIVAL),
        ((L.ASSOCIATION, 6), (L.EPCC, 2), (L.SCIC, 2), (L.REGIE, 1), (L.SPL, 1)),
        (6, 25),
        4,
        "une scène de musiques actuelles",
    ),
    OrgPattern(
        "{venue} {commune_de}",
        (A.VENUE,),
        (A.FESTIVAL, A.STUDIO),
        ((L.ASSOCIATION, 6), (L.SCIC, 2), (L.SARL, 2)),
        (1, 12),
        8,
        "une salle de concert",
    ),
    OrgPattern(
        "Café-concert {word}",
        (A.VENUE,),
        (A.FESTIVAL,),
        ((L.SARL, 4), (L.SAS, 2), (L.ASSOCIATION, 3)),
        (1, 5),
        3,
        "un café-concert",
    ),
    OrgPattern(
        "Studio {word}",
        (A.STUDIO,),
        (A.LABEL, A.SCHOOL),
        ((L.SARL, 4), (L.ENTREPRENEUR, 3), (L.ASSOCIATION, 3), (L.SAS, 2)),
        (0, 3),
        8,
        "un studio d'enregistrement et de répétition",
    ),
    OrgPattern(
        "École de musique {commune_de}",
        (A.SCHOOL,),
        (A.STUDIO,),
        ((L.ASSOCIATION, 6), (L.REGIE, 3), (L.EPCC, 1)),
        (2, 25),
        8,
        "une école de musique",
    ),
    OrgPattern(
        "Les Ateliers {word}",
        (A.SCHOOL,),
        (A.STUDIO, A.PRODUCER),
        ((L.ASSOCIATION, 1),),
        (1, 6),
        4,
        "une école de musiques actuelles",
    ),
    OrgPattern(
        "Radio {word}",
        (A.MEDIA,),
        (A.FESTIVAL,),
        ((L.ASSOCIATION, 8), (L.SCIC, 1)),
        (1, 6),
        5,
        "une radio associative",
    ),
    OrgPattern(
        "{word} Records",
        (A.LABEL,),
        (A.PRODUCER, A.STUDIO),
        ((L.SARL, 3), (L.SAS, 2), (L.ASSOCIATION, 3), (L.ENTREPRENEUR, 2)),
        (0, 4),
        6,
        "un label indépendant",
    ),
    OrgPattern(
        "Label {word}",
        (A.LABEL,),
        (A.PRODUCER,),
        ((L.ASSOCIATION, 3), (L.SARL, 1)),
        (0, 3),
        3,
        "un label indépendant",
    ),
    OrgPattern(
        "Collectif {word}",
        (A.PRODUCER,),
        (A.FESTIVAL, A.OTHER),
        ((L.ASSOCIATION, 1),),
        (0, 3),
        6,
        "un collectif d'artistes",
    ),
    OrgPattern(
        "{word} Booking",
        (A.PRODUCER,),
        (A.LABEL,),
        ((L.SARL, 3), (L.SAS, 2), (L.SCOP, 1)),
        (1, 5),
        3,
        "une agence de booking",
    ),
    OrgPattern(
        "Réseau {word}",
        (A.NETWORK,),
        (A.OTHER,),
        ((L.ASSOCIATION, 1),),
        (1, 6),
        2,
        "un réseau de structures",
    ),
    OrgPattern(
        "Webzine {word}",
        (A.MEDIA,),
        (A.OTHER,),
        ((L.ASSOCIATION, 3), (L.ENTREPRENEUR, 1)),
        (0, 2),
        2,
        "un média musical",
    ),
]
del A, L


@dataclass(frozen=True)
class JobTitle:
    masculine: str
    feminine: str
    inclusive: str
    # Competence domains (taxonomy codes) this job usually draws on, with a weight; unknown
    # codes are harmless, so the taxonomy can evolve without breaking the demo.
    domains: tuple[tuple[str, float], ...]
    # Weight multiplier by organisation activity; ``default`` for activities not listed.
    affinity: tuple[tuple[str, float], ...] = ()
    default: float = 1.0
    weight: float = 1.0

    def for_gender(self, gender: str) -> str:
        if gender == Gender.WOMAN:
            return self.feminine
        if gender == Gender.MAN:
            return self.masculine
        return self.inclusive

    def weight_for(self, activities: Sequence[str]) -> float:
        table = dict(self.affinity)
        return self.weight * max(table.get(a, self.default) for a in activities)


_MANAGEMENT = (
    ("gouvernance_cooperation", 10),
    ("rh_management", 8),
    ("financements", 8),
    ("administration", 4),
    ("prevention_vhss_egalite", 3),
    ("transition_ecologique", 3),
)
LEADER_TITLES: list[JobTitle] = [
    JobTitle("directeur", "directrice", "directeur·rice", _MANAGEMENT, weight=5),
    JobTitle("co-directeur", "co-directrice", "co-directeur·rice", _MANAGEMENT, weight=1.5),
    JobTitle(
        "gérant",
        "gérante",
        "gérant·e",
        (
            ("administration", 10),
            ("paie_intermittence", 6),
            ("financements", 5),
            ("rh_management", 4),
            ("label_edition", 3),
            ("production_tournee", 3),
        ),
        affinity=(("studio", 3), ("label", 3), ("production", 2)),
        default=0.5,
        weight=2,
    ),
    JobTitle(
        "directeur artistique",
        "directrice artistique",
        "directeur·rice artistique",
        (
            ("diffusion_booking", 10),
            ("accompagnement_artistique", 8),
            ("production_tournee", 4),
            ("label_edition", 3),
        ),
        affinity=(("festival", 3), ("salle", 2), ("label", 2)),
        weight=2,
    ),
    JobTitle(
        "président (bénévole)",
        "présidente (bénévole)",
        "président·e (bénévole)",
        (
            ("gouvernance_cooperation", 12),
            ("financements", 5),
            ("rh_management", 3),
            ("prevention_vhss_egalite", 2),
        ),
        affinity=(("festival", 2), ("reseau", 2)),
        weight=1.5,
    ),
]
EMPLOYEE_TITLES: list[JobTitle] = [
    JobTitle(
        "administrateur",
        "administratrice",
        "administrateur·rice",
        (
            ("administration", 12),
            ("paie_intermittence", 10),
            ("financements", 6),
            ("rh_management", 5),
            ("gouvernance_cooperation", 2),
        ),
        weight=5,
    ),
    JobTitle(
        "chargé de production",
        "chargée de production",
        "chargé·e de production",
        (
            ("production_tournee", 12),
            ("diffusion_booking", 4),
            ("paie_intermittence", 3),
            ("administration", 2),
            ("transition_ecologique", 2),
        ),
        affinity=(("production", 3), ("festival", 2), ("salle", 2)),
        weight=5,
    ),
    JobTitle(
        "régisseur général",
        "régisseuse générale",
        "régisseur·se général·e",
        (
            ("regie_securite", 12),
            ("son", 4),
            ("lumiere", 4),
            ("sante_rdr", 3),
            ("accueil_publics", 2),
        ),
        affinity=(("salle", 4), ("festival", 4)),
        default=0.3,
        weight=3,
    ),
    JobTitle(
        "chargé de communication",
        "chargée de communication",
        "chargé·e de communication",
        (("communication_numerique", 12), ("accueil_publics", 4), ("label_edition", 1)),
        weight=4,
    ),
    JobTitle(
        "programmateur",
        "programmatrice",
        "programmateur·rice",
        (("diffusion_booking", 12), ("accompagnement_artistique", 4), ("action_culturelle", 2)),
        affinity=(("salle", 3), ("festival", 3), ("media", 1)),
        default=0.1,
        weight=2,
    ),
    JobTitle(
        "ingénieur du son",
        "ingénieure du son",
        "ingénieur·e du son",
        (("son", 14), ("lumiere", 2), ("regie_securite", 2), ("sante_rdr", 2)),
        affinity=(("studio", 6), ("salle", 2), ("festival", 1)),
        default=0.1,
        weight=2,
    ),
    JobTitle(
        "chargé d'action culturelle",
        "chargée d'action culturelle",
        "chargé·e d'action culturelle",
        (
            ("action_culturelle", 12),
            ("accueil_publics", 3),
            ("prevention_vhss_egalite", 2),
            ("communication_numerique", 1),
        ),
        affinity=(("salle", 3), ("ecole", 2), ("reseau", 2), ("festival", 1)),
        default=0.2,
        weight=3,
    ),
    JobTitle(
        "chargé d'accompagnement artistique",
        "chargée d'accompagnement artistique",
        "chargé·e d'accompagnement artistique",
        (("accompagnement_artistique", 12), ("diffusion_booking", 4), ("label_edition", 3)),
        affinity=(("salle", 3), ("reseau", 2), ("studio", 2), ("production", 1)),
        default=0.1,
        weight=2,
    ),
    JobTitle(
        "chargé de diffusion",
        "chargée de diffusion",
        "chargé·e de diffusion",
        (("diffusion_booking", 12), ("production_tournee", 5), ("communication_numerique", 2)),
        affinity=(("production", 4), ("label", 2)),
        default=0.1,
        weight=3,
    ),
    JobTitle(
        "comptable",
        "comptable",
        "comptable",
        (("administration", 12), ("paie_intermittence", 10)),
        affinity=(("salle", 2), ("ecole", 2), ("festival", 1)),
        default=0.3,
        weight=1.5,
    ),
    JobTitle(
        "chargé de billetterie et d'accueil",
        "chargée de billetterie et d'accueil",
        "chargé·e de billetterie et d'accueil",
        (
            ("accueil_publics", 12),
            ("bar_restauration", 4),
            ("sante_rdr", 3),
            ("communication_numerique", 2),
        ),
        affinity=(("salle", 3), ("festival", 3)),
        default=0.05,
        weight=1.5,
    ),
    JobTitle(
        "responsable du bar",
        "responsable du bar",
        "responsable du bar",
        (
            ("bar_restauration", 12),
            ("accueil_publics", 3),
            ("sante_rdr", 3),
            ("transition_ecologique", 2),
        ),
        affinity=(("salle", 3), ("festival", 2)),
        default=0.0,
        weight=1,
    ),
    JobTitle(
        "chargé de mécénat et de partenariats",
        "chargée de mécénat et de partenariats",
        "chargé·e de mécénat et de partenariats",
        (("financements", 12), ("communication_numerique", 3)),
        affinity=(("festival", 2), ("salle", 2)),
        default=0.3,
        weight=1,
    ),
    JobTitle(
        "coordinateur pédagogique",
        "coordinatrice pédagogique",
        "coordinateur·rice pédagogique",
        (("accompagnement_artistique", 10), ("action_culturelle", 6), ("rh_management", 3)),
        affinity=(("ecole", 8),),
        default=0.02,
        weight=1,
    ),
    JobTitle(
        "professeur de musiques actuelles",
        "professeure de musiques actuelles",
        "professeur·e de musiques actuelles",
        (("accompagnement_artistique", 12), ("action_culturelle", 6)),
        affinity=(("ecole", 10),),
        default=0.0,
        weight=1,
    ),
    JobTitle(
        "label manager",
        "label manager",
        "label manager",
        (("label_edition", 14), ("communication_numerique", 4), ("diffusion_booking", 2)),
        affinity=(("label", 8),),
        default=0.02,
        weight=1,
    ),
    JobTitle(
        "animateur radio",
        "animatrice radio",
        "animateur·rice radio",
        (("communication_numerique", 12), ("label_edition", 3), ("action_culturelle", 3)),
        affinity=(("media", 10),),
        default=0.0,
        weight=1.5,
    ),
    JobTitle(
        "régisseur son et lumière",
        "régisseuse son et lumière",
        "régisseur·se son et lumière",
        (("lumiere", 10), ("son", 8), ("regie_securite", 4)),
        affinity=(("salle", 4), ("festival", 2)),
        default=0.05,
        weight=1.5,
    ),
    JobTitle(
        "chargé de développement durable",
        "chargée de développement durable",
        "chargé·e de développement durable",
        (("transition_ecologique", 14), ("sante_rdr", 3), ("gouvernance_cooperation", 2)),
        affinity=(("festival", 3), ("reseau", 3), ("salle", 1)),
        default=0.05,
        weight=1,
    ),
]

FRENCH_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


# --------------------------------------------------------------------------------------------
# Small French helpers
# --------------------------------------------------------------------------------------------


def _g(gender: str, masculine: str, feminine: str, inclusive: str) -> str:
    if gender == Gender.WOMAN:
        return feminine
    if gender == Gender.MAN:
        return masculine
    return inclusive


def _starts_with_vowel(text: str) -> bool:
    return bool(text) and text[0].lower() in "aàâäeéèêëiîïoôöuùûüyh"


def _de(name: str) -> str:
    """« de » before a place name, with the French contractions (du Vigan, des Angles, d'Albi)."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    if _starts_with_vowel(name):
        return "d'" + name
    return "de " + name


def _de_elided(text: str) -> str:
    """« de » before a common noun or verb: « d'animer », « de construire »."""
    return ("d'" if _starts_with_vowel(text) else "de ") + text


def _a(name: str) -> str:
    """« à » before a place name (au Vigan, aux Angles, à Albi)."""
    if name.startswith("Le "):
        return "au " + name[3:]
    if name.startswith("Les "):
        return "aux " + name[4:]
    return "à " + name


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word is an acronym (SACEM, RGPD)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _strip_period(text: str) -> str:
    return text.strip().rstrip(".").strip()


def _join_fr(items: Sequence[str]) -> str:
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " et " + items[-1]


def _with_article(name: str) -> str:
    """« la Fédération… », « le Pôle… »; other names are used as they are."""
    feminine = ("Fédération", "Association", "Coopérative", "Union")
    if name.startswith(feminine):
        return "la " + name
    if name.startswith(("Pôle", "Réseau", "Collectif")):
        return "le " + name
    return name


def _french_date(day: datetime.date) -> str:
    prefix = "1er" if day.day == 1 else str(day.day)
    return f"{prefix} {FRENCH_MONTHS[day.month - 1]} {day.year}"


def _euros(amount: Decimal) -> str:
    text = f"{amount:,.2f}".replace(",", "\u202f").replace(".", ",")
    return text.removesuffix(",00") + " €"


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


# --------------------------------------------------------------------------------------------
# Programme and calls
# --------------------------------------------------------------------------------------------

PROGRAMME_SUMMARY = (
    "Le Transfert de savoir-faire / Mentorat est un dispositif de professionnalisation de pair "
    "à pair : une ou un professionnel·le d'une structure de musiques actuelles d'Occitanie "
    "bénéficie de 1 à 5 jours de transmission avec une personne-ressource expérimentée d'une "
    "autre structure de la région. Il est financé dans le cadre du contrat de filière "
    "musiques actuelles en Occitanie."
)


def call_text(
    programme: Programme, opens_on: datetime.date, closes_on: datetime.date, budget: Decimal
) -> str:
    """The full text of a call, in the spirit of the 2022 call of the contrat de filière."""
    paragraphs = [
        "Le Transfert de savoir-faire / Mentorat est un dispositif de partage d'expérience et "
        "de compétences entre salarié·e·s et dirigeant·e·s des structures de musiques "
        "actuelles d'Occitanie. Il permet à une personne de bénéficier, sur un sujet précis de "
        "son quotidien de travail, de l'expérience d'un·e professionnel·le d'une autre "
        "structure de la région, appelé·e « personne-ressource ».",
        "Pourquoi ce dispositif ?",
        "L'enjeu est de guider l'apprentissage et la montée en compétences dans et par le "
        "travail, grâce à un maillage régional de compétences mobilisables et capitalisables. "
        "Le dispositif veut capitaliser les savoir-faire des professionnel·le·s du secteur, "
        "apporter de la reconnaissance aux personnes-ressources comme aux mentoré·e·s, "
        "accompagner les mutations du secteur (économiques, sociales, technologiques et "
        "environnementales) et sécuriser l'emploi culturel sur les territoires, en favorisant "
        "les coopérations de court et moyen terme entre structures.",
        "Qui peut candidater ?",
        "Les salarié·e·s et les dirigeant·e·s (y compris bénévoles) de structures de musiques "
        "actuelles dont le siège ou un établissement est situé en Occitanie : salles de "
        "concert et SMAC, festivals, labels, studios, producteurs et tourneurs, écoles de "
        "musique, médias, réseaux et fédérations. L'adhésion à la fédération régionale n'est "
        "pas requise. Pour les salarié·e·s, l'accord de l'employeur est recueilli en ligne "
        "avant le dépôt définitif de la candidature.",
        "Quels formats ?",
        "Le transfert peut prendre quatre formes : l'immersion, où vous rejoignez la "
        "personne-ressource dans sa structure ; la transmission sur site, où elle vient "
        "travailler avec vous dans la vôtre ; la transmission à distance, en visioconférence "
        "et par échanges de documents ; ou un format mixte qui combine ces modalités.",
        "Quelle durée ?",
        f"Chaque transfert dure de {programme.min_days_per_transfer} à "
        f"{programme.max_days_per_transfer} jours, consécutifs ou répartis sur plusieurs "
        "semaines selon vos contraintes. Une même personne-ressource réalise au plus "
        f"{programme.max_transfers_per_resource_person_per_year} transferts par an, afin que "
        "la transmission reste compatible avec son propre travail.",
        "Qu'est-ce qui est pris en charge ?",
        "Le dispositif verse à la structure employeuse de la personne-ressource une indemnité "
        f"journalière de {_euros(programme.daily_rate)} par jour de transfert. Les frais de "
        "déplacement sont remboursés sur la base de "
        f"{str(programme.travel_rate_per_km.normalize()).replace('.', ',')} € par kilomètre "
        f"et d'un forfait de {_euros(programme.accommodation_per_night)} par nuitée "
        f"(hébergement et repas) au-delà de {programme.overnight_distance_km} km, dans la "
        f"limite de {_euros(programme.travel_cap_per_transfer)} par transfert. Rien n'est "
        "demandé à la structure de la personne mentorée.",
        "Comment ça marche ?",
        "1. Vous décrivez votre besoin avec vos mots dans le formulaire en ligne : les "
        "compétences visées, le format et la période souhaités, le nombre de jours. Vous "
        "pouvez proposer une personne-ressource de l'annuaire, une personne hors annuaire, ou "
        "laisser la coordination vous en suggérer une.\n"
        "2. Si vous êtes salarié·e, votre employeur donne son accord en ligne, en un clic, à "
        "partir du lien qu'il reçoit par courriel.\n"
        "3. Après la clôture, le comité de sélection examine les candidatures ; la "
        "coordination propose ensuite les mises en relation en tenant compte des compétences, "
        "des disponibilités et des distances.\n"
        "4. Le transfert se déroule selon un programme construit ensemble ; un court bilan "
        "est demandé à chacun·e à l'issue.",
        "Calendrier et budget",
        f"L'appel est ouvert du {_french_date(opens_on)} au {_french_date(closes_on)} inclus. "
        f"L'enveloppe consacrée à cet appel s'élève à {_euros(budget)}. Les réponses sont "
        "communiquées dans le mois qui suit la clôture.",
        f"Le dispositif est porté par {_with_article(programme.operator)} dans le cadre du "
        "contrat de filière musiques actuelles en Occitanie, avec le soutien de l'État (DRAC "
        "Occitanie), du Centre national de la musique et de la Région Occitanie.",
    ]
    return "\n\n".join(paragraphs)


def _create_programme_and_calls(today: datetime.date) -> tuple[Programme, Call, Call]:
    programme = Programme.objects.create(
        name="Transfert de savoir-faire / Mentorat",
        slug=PROGRAMME_SLUG,
        region_code="76",
        summary=PROGRAMME_SUMMARY,
        funders=FUNDERS,
        operator=OPERATOR_NAME,
        min_days_per_transfer=1,
        max_days_per_transfer=5,
        max_transfers_per_resource_person_per_year=3,
        daily_rate=Decimal("250.00"),
        travel_rate_per_km=Decimal("0.320"),
        accommodation_per_night=Decimal("90.00"),
        travel_cap_per_transfer=Decimal("600.00"),
        overnight_distance_km=60,
    )
    summary = (
        "Salarié·e ou dirigeant·e d'une structure de musiques actuelles en Occitanie ? "
        "Bénéficiez de 1 à 5 jours de transmission de pair à pair avec une personne-ressource "
        "expérimentée, financés par le dispositif."
    )
    calls = []
    for slug, year, shift, budget, in_the_past in (
        (OPEN_CALL_SLUG, 2026, 0, Decimal("120000.00"), False),
        (PAST_CALL_SLUG, 2025, 365, Decimal("100000.00"), True),
    ):
        opens_on = today - datetime.timedelta(days=70 + shift)
        closes_on = today + datetime.timedelta(days=60 - shift)
        call, _ = Call.objects.get_or_create(
            slug=slug,
            defaults={
                "programme": programme,
                "title": f"Appel à candidatures {year} — Transfert de savoir-faire / Mentorat",
                "summary": summary + (" Appel clos." if in_the_past else ""),
                "text": call_text(programme, opens_on, closes_on, budget),
                "opens_on": opens_on,
                "closes_on": closes_on,
                "budget_envelope": budget,
                "published": True,
            },
        )
        calls.append(call)
    return programme, calls[0], calls[1]


# --------------------------------------------------------------------------------------------
# Reference data and shared state
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompetenceInfo:
    id: int
    code: str
    label: str
    description: str
    keywords: tuple[str, ...]
    domain: str


def _display_keywords(keywords: str, text: str) -> tuple[str, ...]:
    """Keywords are stored lower case for matching; take their spelling from the label or
    description when they appear there ("solima" -> "SOLIMA", "grandma" -> "grandMA")."""
    result = []
    for keyword in re.split(r"[,;\n|]", keywords or ""):
        keyword = keyword.strip()
        if len(keyword) < 4:
            continue
        found = re.search(re.escape(keyword), text, flags=re.IGNORECASE)
        # Keep the lower case when the only match is the capital opening the label.
        if found and (found.start() > 0 or found.group(0)[1:] != keyword[1:]):
            keyword = found.group(0)
        result.append(keyword)
    return tuple(result)


@dataclass
class Reference:
    departements: list[tuple[str, int]]  # (code, population)
    communes: dict[str, tuple[list[tuple[str, str]], list[int]]]  # dep -> ([(insee, name)], cum)
    commune_names: dict[str, str]
    competences: list[CompetenceInfo]

    @classmethod
    def load(cls) -> Reference:
        departements = list(Departement.objects.order_by("code").values_list("code", "population"))
        if not departements:
            raise DemoDataError(
                "Le référentiel géographique est vide : lancez « manage.py migrate » d'abord."
            )
        by_dep: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
        names: dict[str, str] = {}
        for insee, name, dep, population in Commune.objects.order_by("insee_code").values_list(
            "insee_code", "name", "departement_id", "population"
        ):
            by_dep[dep].append((insee, name, population))
            names[insee] = name
        communes = {
            dep: (
                [(insee, name) for insee, name, _ in rows],
                list(itertools.accumulate(max(pop, 1) for _, _, pop in rows)),
            )
            for dep, rows in by_dep.items()
        }
        departements = [(code, pop) for code, pop in departements if code in communes]
        competences = [
            CompetenceInfo(
                id=pk,
                code=code,
                label=label,
                description=description,
                keywords=_display_keywords(keywords, f"{label} {description}"),
                domain=domain_code,
            )
            for pk, code, label, description, keywords, domain_code in (
                Competence.objects.filter(is_active=True)
                .order_by("domain__position", "position", "code")
                .values_list("pk", "code", "label_fr", "description_fr", "keywords", "domain__code")
            )
        ]
        if not competences:
            raise DemoDataError(
                "Le référentiel de compétences est vide : lancez « manage.py migrate » d'abord."
            )
        return cls(departements, communes, names, competences)


@dataclass
class PersonPlan:
    user: User
    organisation: Organisation
    org_phrase: str
    commune_id: str
    gender: str
    title: JobTitle
    leader: bool
    roles: set[str] = field(default_factory=set)
    resource_person: ResourcePerson | None = None
    competence_ids: list[int] = field(default_factory=list)


@dataclass
class ApplicationPlan:
    application: Application
    competence_ids: list[int]
    events: list[ApplicationEvent]


class Generator:
    """Holds the seeded randomness and the counters shared by all blocks."""

    def __init__(self, *, seed: int, today: datetime.date, now: datetime.datetime) -> None:
        self.rng = random.Random(seed)
        faker = Faker("fr_FR")
        faker.seed_instance(seed)
        # Name pools drawn once: calling Faker 168,000 times at benchmark scale is slow.
        self.female_names = sorted({faker.first_name_female() for _ in range(600)})
        self.male_names = sorted({faker.first_name_male() for _ in range(600)})
        self.neutral_names = [
            "Camille",
            "Dominique",
            "Alex",
            "Charlie",
            "Sacha",
            "Claude",
            "Maxime",
            "Andréa",
            "Eden",
            "Morgan",
            "Lou",
            "Noa",
        ]
        self.last_names = sorted({faker.last_name() for _ in range(2000)})
        self.today = today
        self.now = now
        self.password_hash = make_password(DEMO_PASSWORD)
        self.ref = Reference.load()
        self.sirens: set[str] = {
            s[:9] for s in Organisation.objects.exclude(siret="").values_list("siret", flat=True)
        }
        self.org_names: set[str] = set(Organisation.objects.values_list("name", flat=True))
        self.email_counter = itertools.count(1)
        self.reference_counters: dict[int, itertools.count[int]] = {}
        self.coordinator: User | None = None
        # First leader planned for each organisation: the employer who signs applications;
        # organisations without one get a stable, invented signatory.
        self.leaders: dict[int, PersonPlan] = {}
        self.signatories: dict[int, tuple[str, str]] = {}
        self._comp_by_code = {c.code: c.id for c in self.ref.competences}
        self._title_weights: dict[tuple[str, ...], list[float]] = {}
        self._competence_weights: dict[JobTitle, list[float]] = {}
        self._comp_by_id = {c.id: c for c in self.ref.competences}

    # -- randomness helpers ----------------------------------------------------------------

    def weighted(self, pairs: Sequence[tuple[Any, float]]) -> Any:
        values, weights = zip(*pairs, strict=True)
        return self.rng.choices(values, weights=weights)[0]

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def moment(self, start: datetime.datetime, end: datetime.datetime) -> datetime.datetime:
        span = max((end - start).total_seconds(), 0)
        return start + datetime.timedelta(seconds=self.rng.uniform(0, span))

    def aware(self, day: datetime.date, hour: int = 9) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))

    # -- identifiers -----------------------------------------------------------------------

    def siret(self) -> str:
        """A SIRET with valid check digits (SIREN and whole number, Luhn) and a unique SIREN."""
        while True:
            body = self.rng.choice("345789") + f"{self.rng.randrange(10**7):07d}"
            siren = body + luhn.calc_check_digit(body)
            if siren in self.sirens or siren == "356000000":  # La Poste follows other rules
                continue
            self.sirens.add(siren)
            nic = f"{self.rng.randint(1, 99):04d}"
            number = siren + nic + luhn.calc_check_digit(siren + nic)
            assert stdnum_siret.is_valid(number)
            return number

    def email(self, first: str, last: str) -> str:
        return f"{slugify(first)}.{slugify(last)}.{next(self.email_counter)}@{PEOPLE_EMAIL_DOMAIN}"

    def reference(self, call: Call, year: int) -> str:
        counter = self.reference_counters.setdefault(call.pk, itertools.count(1))
        return f"TSF-{year}-{next(counter):04d}"

    # -- geography -------------------------------------------------------------------------

    def allocate_departements(self, total: int, minimum: int = 2) -> list[str]:
        """Largest-remainder apportionment by population, at least ``minimum`` each, so the
        smallest départements (Lozère) are always represented."""
        deps = self.ref.departements
        population = sum(pop for _, pop in deps) or 1
        quotas = [(code, total * pop / population) for code, pop in deps]
        counts = {code: int(q) for code, q in quotas}
        remaining = total - sum(counts.values())
        for code, _quota in sorted(quotas, key=lambda item: item[1] - int(item[1]), reverse=True):
            if remaining <= 0:
                break
            counts[code] += 1
            remaining -= 1
        if total >= minimum * len(deps):
            for code in counts:
                while counts[code] < minimum:
                    richest = max(counts, key=lambda c: counts[c])
                    counts[richest] -= 1
                    counts[code] += 1
        allocation = [code for code, n in counts.items() for _ in range(n)]
        self.rng.shuffle(allocation)
        return allocation

    def commune_in(self, dep: str) -> tuple[str, str]:
        rows, cumulative = self.ref.communes[dep]
        return self.rng.choices(rows, cum_weights=cumulative)[0]

    # -- competences -----------------------------------------------------------------------

    def competences_for(self, title: JobTitle, count: int) -> list[int]:
        """Distinct competences, mostly in the fields the job title suggests."""
        weights = self._competence_weights.get(title)
        if weights is None:
            table = dict(title.domains)
            weights = [0.25 + table.get(comp.domain, 0) for comp in self.ref.competences]
            self._competence_weights[title] = weights
        count = min(count, len(self.ref.competences))
        chosen: list[int] = []
        while len(chosen) < count:
            comp = self.rng.choices(self.ref.competences, weights=weights)[0]
            if comp.id not in chosen:
                chosen.append(comp.id)
        return chosen

    def competence(self, pk: int) -> CompetenceInfo:
        return self._comp_by_id[pk]

    def competences_by_code(self, codes: Sequence[str], title: JobTitle) -> list[int]:
        """These competences when the taxonomy has them, else a draw suited to ``title``."""
        found = [self._comp_by_code[code] for code in codes if code in self._comp_by_code]
        return found if len(found) == len(codes) else self.competences_for(title, len(codes))

    def pick_title(self, leader: bool, activities: Sequence[str]) -> JobTitle:
        titles = LEADER_TITLES if leader else EMPLOYEE_TITLES
        key = (str(leader), *activities)
        weights = self._title_weights.get(key)
        if weights is None:
            weights = [t.weight_for(activities) for t in titles]
            self._title_weights[key] = weights
        return self.rng.choices(titles, weights=weights)[0]


# --------------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------------


def _plan_organisations(gen: Generator, count: int) -> list[tuple[Organisation, list[str], str]]:
    """(unsaved organisation, activity codes, phrase) tuples."""
    rng = gen.rng
    weights = [p.weight for p in ORG_PATTERNS]
    planned = []
    for dep in gen.allocate_departements(count):
        insee, commune_name = gen.commune_in(dep)
        name = ""
        pattern = ORG_PATTERNS[0]
        # A few attempts at a name not used yet; at benchmark scales duplicates are fine.
        for _ in range(6):
            pattern = rng.choices(ORG_PATTERNS, weights=weights)[0]
            name = pattern.template.format(
                word=rng.choice(NAME_WORDS),
                surname=rng.choice(gen.last_names),
                venue=rng.choice(VENUE_NOUNS),
                commune_de=_de(commune_name),
            )
            if name not in gen.org_names:
                break
        gen.org_names.add(name)
        activities = list(pattern.activities)
        if pattern.extra and gen.chance(0.4):
            activities.append(rng.choice(pattern.extra))
        low, high = pattern.headcount
        organisation = Organisation(
            name=name,
            siret=gen.siret(),
            legal_form=gen.weighted(pattern.legal_forms),
            commune_id=insee,
            headcount=None if gen.chance(0.08) else rng.randint(low, high),
            federation_member=gen.chance(0.6),
            website=f"https://www.{slugify(name)}.example.org" if gen.chance(0.6) else "",
        )
        planned.append((organisation, activities, f"{pattern.phrase} {_a(commune_name)}"))
    return planned


def _save_organisations(gen: Generator, planned: list[tuple[Organisation, list[str], str]]) -> None:
    Organisation.objects.bulk_create([o for o, _, _ in planned], batch_size=BATCH_SIZE)
    OrganisationActivity.objects.bulk_create(
        [
            OrganisationActivity(organisation=o, activity=activity)
            for o, activities, _ in planned
            for activity in activities
        ],
        batch_size=BATCH_SIZE,
    )


# --------------------------------------------------------------------------------------------
# People and resource persons
# --------------------------------------------------------------------------------------------

FICTION_PHONE_PREFIXES = ["04 65 71", "05 36 49", "06 39 98"]
GENDERS: list[tuple[str, float]] = [
    (Gender.WOMAN, 0.47),
    (Gender.MAN, 0.43),
    (Gender.NON_BINARY, 0.02),
    (Gender.UNDISCLOSED, 0.03),
    ("", 0.05),
]


def _plan_person(
    gen: Generator,
    organisation: Organisation,
    activities: list[str],
    org_phrase: str,
    *,
    leader: bool,
) -> PersonPlan:
    rng = gen.rng
    gender = gen.weighted(GENDERS)
    if gender == Gender.WOMAN:
        first = rng.choice(gen.female_names)
    elif gender == Gender.MAN:
        first = rng.choice(gen.male_names)
    else:
        first = rng.choice(gen.neutral_names + gen.female_names[:20] + gen.male_names[:20])
    last = rng.choice(gen.last_names)
    title = gen.pick_title(leader, activities)
    joined = gen.moment(
        gen.aware(gen.today - datetime.timedelta(days=4 * 365)),
        gen.aware(gen.today - datetime.timedelta(days=75)),
    )
    user = User(
        email=gen.email(first, last),
        first_name=first,
        last_name=last,
        password=gen.password_hash,
        # ARCEP keeps these blocks for fiction: they can never ring a real person.
        phone=f"{rng.choice(FICTION_PHONE_PREFIXES)} {rng.randint(0, 99):02d} "
        f"{rng.randint(0, 99):02d}"
        if gen.chance(0.7)
        else "",
        job_title=title.for_gender(gender),
        employment_status=EmploymentStatus.LEADER if leader else EmploymentStatus.EMPLOYEE,
        organisation=organisation,
        gender=gender,
        date_joined=joined,
    )
    plan = PersonPlan(
        user=user,
        organisation=organisation,
        org_phrase=org_phrase,
        commune_id=organisation.commune_id,
        gender=gender,
        title=title,
        leader=leader,
    )
    if leader:
        gen.leaders.setdefault(organisation.pk, plan)
    return plan


def _plan_people(
    gen: Generator, organisations: list[tuple[Organisation, list[str], str]], count: int
) -> list[PersonPlan]:
    """One person per organisation first (often its leader), the rest by headcount."""
    people: list[PersonPlan] = []
    for organisation, activities, phrase in organisations[:count]:
        people.append(_plan_person(gen, organisation, activities, phrase, leader=gen.chance(0.5)))
    weights = [(o.headcount or 0) + 1 for o, _, _ in organisations]
    for _ in range(count - len(people)):
        organisation, activities, phrase = gen.rng.choices(organisations, weights=weights)[0]
        people.append(_plan_person(gen, organisation, activities, phrase, leader=gen.chance(0.1)))
    return people


SUMMARY_OPENINGS = [
    "{title_cap} depuis {years} ans, aujourd'hui dans {org}, j'ai construit une pratique "
    "solide sur des sujets comme {labels}.",
    "Après {years} ans dans les musiques actuelles, dont plusieurs comme {title}, je souhaite "
    "partager ce que j'ai appris, en particulier sur {labels}.",
    "Je travaille depuis {years} ans dans le secteur, aujourd'hui comme {title} dans {org}. "
    "Au fil des saisons, je me suis spécialisé{e} sur {labels}.",
    "Mon parcours de {years} ans m'a amené{e} à traiter au quotidien des sujets comme "
    "{labels} ; je suis aujourd'hui {title} dans {org}.",
]
SUMMARY_DETAILS = [
    "Sur « {label} », je peux vous aider à {description}.",
    "Pour « {label} », je transmets des méthodes concrètes pour {description}.",
    "Concernant « {label} », nous pouvons apprendre ensemble à {description}.",
]
SUMMARY_KEYWORDS = [
    "Je connais bien les sujets suivants : {keywords}.",
    "Nous pourrons aborder par exemple : {keywords}.",
]
SUMMARY_CLOSINGS = [
    "Je privilégie des échanges concrets, à partir de vos documents et de vos situations réelles.",
    "J'aime transmettre par l'exemple : vous me suivez sur le terrain, puis nous analysons "
    "ensemble ce qui est transposable chez vous.",
    "Je peux me déplacer dans votre structure ou vous accueillir dans la mienne, selon ce qui "
    "sera le plus utile.",
    "J'ai moi-même bénéficié d'un accompagnement à mes débuts et je tiens à rendre la pareille.",
    "Mon objectif : que vous repartiez avec des outils que votre équipe pourra s'approprier.",
]
# ``{e}`` is the gender agreement ("", "e" or "·e").
LEVEL_DESCRIPTIONS = {
    Level.PRACTITIONER: [
        "Pratique régulière dans ma structure : je partage mes outils et mes erreurs.",
        "Je le fais au quotidien depuis plusieurs années ; transmission de méthodes simples.",
    ],
    Level.ADVANCED: [
        "Méthodes et outils éprouvés, adaptables à des structures de taille différente.",
        "Retour d'expérience détaillé et modèles de documents à adapter.",
    ],
    Level.EXPERT: [
        "Référent{e} reconnu{e} dans le réseau régional ; j'interviens aussi en formation.",
        "Plus de dix ans de pratique, nombreux cas concrets et accompagnements déjà réalisés.",
    ],
}


def _describe(info: CompetenceInfo) -> str:
    """The competence description as a verb phrase after « à » (falls back to the label).

    Taxonomy descriptions start with an infinitive ("Construire un budget…"), which reads
    naturally after "je peux vous aider à".
    """
    description = _strip_period(info.description.split("\n")[0]) if info.description else ""
    if description:
        return _lower_first(description)
    return "mieux maîtriser « " + info.label + " »"


def _short(info: CompetenceInfo) -> str:
    """The first clause of the description: "construire un budget prévisionnel réaliste"."""
    return re.split(r",| : | \(|;", _describe(info), maxsplit=1)[0].strip()


def _quoted(infos: Sequence[CompetenceInfo]) -> str:
    return _join_fr([f"« {i.label} »" for i in infos])


def _keywords(gen: Generator, infos: Sequence[CompetenceInfo]) -> list[str]:
    """Distinct keywords of these competences, to be consumed by pop(): multi-word ones
    ("plan de trésorerie") come out first, being more telling than single words ("bilan")."""
    keywords = list(dict.fromkeys(k for i in infos for k in i.keywords))
    gen.rng.shuffle(keywords)
    keywords.sort(key=lambda k: " " in k)
    return keywords


def _summary(gen: Generator, person: PersonPlan, years: int, comp_ids: list[int]) -> str:
    rng = gen.rng
    infos = [gen.competence(pk) for pk in comp_ids]
    title = person.user.job_title
    parts = [
        rng.choice(SUMMARY_OPENINGS).format(
            title=title,
            title_cap=title[:1].upper() + title[1:],
            years=years,
            org=person.org_phrase,
            labels=_quoted(infos[:2]),
            e=_g(person.gender, "", "e", "·e"),
        )
    ]
    for info in infos[: rng.randint(1, 2)]:
        parts.append(
            rng.choice(SUMMARY_DETAILS).format(label=info.label, description=_describe(info))
        )
    keywords = _keywords(gen, infos)
    if len(keywords) >= 2 and gen.chance(0.6):
        chosen = [keywords.pop() for _ in range(min(len(keywords), rng.randint(2, 4)))]
        parts.append(rng.choice(SUMMARY_KEYWORDS).format(keywords=_join_fr(chosen)))
    parts.append(rng.choice(SUMMARY_CLOSINGS))
    return _truncate(" ".join(parts), 3000)


def _plan_resource_person(gen: Generator, person: PersonPlan) -> list[ResourcePersonCompetence]:
    rng = gen.rng
    years = rng.randint(5, 30)
    # Levels grow with experience; the summary then opens on the strongest competences.
    base = 1 + (years >= 12) + (years >= 20)
    levels = {
        pk: max(1, min(3, base + rng.choice((-1, 0, 0, 1))))
        for pk in gen.competences_for(person.title, rng.randint(2, 5))
    }
    comp_ids = sorted(levels, key=lambda pk: -levels[pk])
    person.competence_ids = comp_ids
    status = gen.weighted(
        [
            (ValidationStatus.VALIDATED, 0.85),
            (ValidationStatus.PENDING, 0.10),
            (ValidationStatus.SUSPENDED, 0.05),
        ]
    )
    # Resource persons joined at least a month ago so that validation happens after sign-up.
    latest_join = gen.now - datetime.timedelta(days=30)
    if person.user.date_joined > latest_join:
        person.user.date_joined = gen.moment(
            latest_join - datetime.timedelta(days=300), latest_join
        )
    validated_at = None
    if status != ValidationStatus.PENDING:
        validated_at = gen.moment(
            person.user.date_joined + datetime.timedelta(days=2),
            gen.now - datetime.timedelta(days=1),
        )
    rp = ResourcePerson(
        user=person.user,
        commune_id=person.commune_id,
        years_of_experience=years,
        summary=_summary(gen, person, years, comp_ids),
        days_per_year=rng.randint(3, 20),
        available_months=[]
        if gen.chance(0.35)
        else sorted(rng.sample(range(1, 13), k=rng.randint(4, 10))),
        travel_radius_km=gen.weighted([(30, 1), (50, 2), (100, 4), (150, 3), (250, 2)]),
        accepts_matching=gen.chance(0.9),
        status=status,
        validated_at=validated_at,
        validated_by=gen.coordinator if validated_at else None,
        format_immersion=gen.chance(0.6),
        format_on_site=gen.chance(0.6),
        format_remote=gen.chance(0.45),
        format_mixed=gen.chance(0.35),
    )
    if not rp.formats:
        rp.format_on_site = True
    _set_consents(gen, rp, person.user.date_joined)
    person.resource_person = rp
    person.roles.add(Role.RESOURCE_PERSON)
    agreement = _g(person.gender, "", "e", "·e")
    return [
        ResourcePersonCompetence(
            resource_person=rp,
            competence_id=pk,
            level=levels[pk],
            description=rng.choice(LEVEL_DESCRIPTIONS[Level(levels[pk])]).format(e=agreement),
        )
        for pk in comp_ids
    ]


def _set_consents(gen: Generator, rp: ResourcePerson, joined: datetime.datetime) -> None:
    # Validated people were asked again at validation time, hence more consents.
    if not gen.chance(0.85 if rp.status == ValidationStatus.VALIDATED else 0.5):
        return
    rp.consent_directory = True
    # Most people open every field; some keep their name or commune to themselves.
    partial = gen.chance(0.2)
    rp.consent_show_name = not partial or gen.chance(0.6)
    rp.consent_show_organisation = not partial or gen.chance(0.5)
    rp.consent_show_job = not partial or gen.chance(0.7)
    rp.consent_show_summary = not partial or gen.chance(0.9)
    rp.consent_show_commune = not partial or gen.chance(0.5)
    start = rp.validated_at or joined
    rp.consent_updated_at = gen.moment(start, gen.now - datetime.timedelta(hours=1))


def _save_people(gen: Generator, people: list[PersonPlan]) -> None:
    User.objects.bulk_create([p.user for p in people], batch_size=BATCH_SIZE)
    RoleGrant.objects.bulk_create(
        [RoleGrant(user=p.user, role=role) for p in people for role in sorted(p.roles)],
        batch_size=BATCH_SIZE,
    )
    rps = [p.resource_person for p in people if p.resource_person is not None]
    ResourcePerson.objects.bulk_create(rps, batch_size=BATCH_SIZE)


# --------------------------------------------------------------------------------------------
# Applications
# --------------------------------------------------------------------------------------------

NEED_OPENINGS = [
    "Je suis {title} dans {org} et je dois désormais prendre en charge un sujet que je "
    "connais mal : {label}.",
    "Dans notre équipe, personne n'a vraiment d'expérience sur {label}, et c'est moi qui m'en "
    "occupe depuis peu.",
    "Nous sommes une petite équipe ({org}) et je porte {alone} tout ce qui touche à {label}.",
    "Depuis le lancement d'un nouveau projet, la question {label} est devenue centrale dans "
    "mon poste {de_title}.",
    "Je travaille comme {title} dans {org} et je sens que je plafonne dès qu'il s'agit {de_short}.",
]
# ``{kw}`` takes fresh keywords each time, so two sentences never list the same ones.
NEED_MIDDLES = [
    "Je me sens {lost} sur des questions très concrètes : {kw}.",
    "Concrètement, j'aimerais voir comment d'autres structures s'y prennent sur des points "
    "comme : {kw}.",
    "J'ai aussi besoin d'un regard extérieur pour {second_short}.",
    "Je bricole aujourd'hui avec des outils faits maison et je perds beaucoup de temps sur "
    "des sujets comme : {kw}.",
]
NEED_CLOSINGS = [
    "Échanger quelques jours avec quelqu'un qui a déjà traversé ces situations m'aiderait "
    "à gagner en autonomie.",
    "Une immersion dans une structure plus expérimentée me permettrait de repartir avec des "
    "méthodes concrètes.",
    "J'aimerais être à l'aise sur ces sujets avant la prochaine saison.",
]
EMPLOYEE_CLOSINGS = [
    "Ma direction soutient cette démarche, qui fait partie de notre projet pour les deux "
    "prochaines années.",
]
RESULTS = [
    "Être autonome pour {short} d'ici la prochaine saison et disposer d'outils (tableaux de "
    "suivi, procédures, modèles) réutilisables par l'équipe.",
    "Savoir {short} sans dépendre d'un prestataire, et partager la méthode avec mes collègues.",
    "Un plan d'action sur {label}, validé avec {validator}, et des contacts dans le réseau "
    "régional pour continuer à échanger.",
    "Gagner du temps et de la sérénité sur {label} ; documenter nos pratiques pour les "
    "transmettre à notre tour.",
]
EVENT_NOTES = {
    "created": "Candidature créée.",
    "to_employer": "Demande d'accord envoyée à l'employeur ({name}).",
    "approved": "Accord de l'employeur donné par {name} ; candidature déposée.",
    "submitted": "Candidature déposée.",
}


def _need_text(gen: Generator, person: PersonPlan, comp_ids: list[int]) -> tuple[str, str]:
    """The need "in the applicant's words" (2-4 sentences) and the expected results."""
    rng = gen.rng
    infos = [gen.competence(pk) for pk in comp_ids]
    first, last = infos[0], infos[-1]
    keywords = _keywords(gen, infos) or [_short(i) for i in infos]
    middles = [m for m in NEED_MIDDLES if len(infos) > 1 or "second" not in m]
    closings = NEED_CLOSINGS + ([] if person.leader else EMPLOYEE_CLOSINGS)
    templates = [rng.choice(NEED_OPENINGS), *rng.sample(middles, k=rng.randint(1, 2))]
    if gen.chance(0.7):
        templates.append(rng.choice(closings))
    values = {
        "title": person.user.job_title,
        "org": person.org_phrase,
        "label": f"« {first.label} »",
        "short": _short(first),
        "de_short": _de_elided(_short(first)),
        "de_title": _de_elided(person.user.job_title),
        "second_short": _short(last),
        "alone": _g(person.gender, "seul", "seule", "seul·e"),
        "lost": _g(person.gender, "démuni", "démunie", "démuni·e"),
        "validator": "le conseil d'administration" if person.leader else "ma direction",
    }
    sentences = []
    for template in templates:
        if "{kw}" in template:
            taken = [keywords.pop() for _ in range(min(len(keywords), rng.randint(2, 3)))]
            if not taken:
                continue
            values["kw"] = _join_fr(taken)
        sentences.append(template.format(**values))
    return " ".join(sentences), rng.choice(RESULTS).format(**values)


@dataclass
class CallWindow:
    call: Call
    year: int
    start: datetime.datetime  # first possible creation
    end: datetime.datetime  # last possible event
    period_start: datetime.date
    period_end: datetime.date


def _plan_application(
    gen: Generator,
    person: PersonPlan,
    window: CallWindow,
    state: str,
    proposable: dict[int, list[ResourcePerson]],
    all_proposable: list[ResourcePerson],
    *,
    competence_ids: list[int] | None = None,
    proposed: ResourcePerson | None = None,
) -> ApplicationPlan:
    rng = gen.rng
    comp_ids = competence_ids or gen.competences_for(person.title, rng.randint(1, 3))
    need, results = _need_text(gen, person, comp_ids)
    incomplete_draft = state == ApplicationState.DRAFT and gen.chance(0.3)
    employee = not person.leader
    app = Application(
        call=window.call,
        applicant=person.user,
        organisation=person.organisation,
        state=state,
        need="" if incomplete_draft and gen.chance(0.3) else need,
        expected_results="" if incomplete_draft else results,
        format_immersion=gen.chance(0.45),
        format_on_site=gen.chance(0.45),
        format_remote=gen.chance(0.3),
        format_mixed=gen.chance(0.25),
    )
    if not app.formats:
        app.format_immersion = True
    if not incomplete_draft:
        app.days = rng.randint(1, 5)
        span = (window.period_end - window.period_start).days
        offset = rng.randint(0, max(span - 7, 0))
        app.desired_start = window.period_start + datetime.timedelta(days=offset)
        app.desired_end = min(
            window.period_end,
            app.desired_start + datetime.timedelta(days=rng.randint(app.days + 6, 60)),
        )
    # Sometimes a resource person from the directory, never a colleague.
    if proposed is None and gen.chance(0.35):
        candidates = [rp for pk in comp_ids for rp in proposable.get(pk, ())] or all_proposable
        candidates = [rp for rp in candidates if rp.user.organisation_id != person.organisation.pk]
        if candidates:
            proposed = rng.choice(candidates)
    elif proposed is None and gen.chance(0.08):
        app.proposed_external_name = f"{rng.choice(gen.female_names)} {rng.choice(gen.last_names)}"
        app.proposed_external_organisation = f"{rng.choice(NAME_WORDS)} Productions"
    app.proposed_resource_person = proposed
    signatory = ""
    if employee and (state != ApplicationState.DRAFT or gen.chance(0.5)):
        # The organisation's leader when the platform knows one, else a named director.
        leader = gen.leaders.get(person.organisation.pk)
        if leader is not None:
            signatory, email = leader.user.full_name, leader.user.email
        elif person.organisation.pk in gen.signatories:
            signatory, email = gen.signatories[person.organisation.pk]
        else:
            first_name = rng.choice(gen.female_names + gen.male_names)
            last_name = rng.choice(gen.last_names)
            signatory = f"{first_name} {last_name}"
            email = f"{slugify(first_name)}.{slugify(last_name)}@{PEOPLE_EMAIL_DOMAIN}"
            gen.signatories[person.organisation.pk] = (signatory, email)
        app.employer_signatory_name = signatory
        app.employer_signatory_email = email

    # Dated history, strictly ordered and in the past.
    latest = min(window.end, gen.now - datetime.timedelta(hours=1))
    created = gen.moment(window.start, latest - datetime.timedelta(days=3))
    if person.user.date_joined > created:
        person.user.date_joined = created - datetime.timedelta(days=rng.randint(1, 60))
    events = [
        ApplicationEvent(
            application=app,
            at=created,
            actor=person.user,
            from_state="",
            to_state=ApplicationState.DRAFT,
            note=EVENT_NOTES["created"],
        )
    ]
    previous: str = ApplicationState.DRAFT
    at = created
    steps: list[tuple[str, str]] = []
    if state == ApplicationState.AWAITING_EMPLOYER:
        steps = [(ApplicationState.AWAITING_EMPLOYER, "to_employer")]
    elif state == ApplicationState.SUBMITTED and employee:
        steps = [
            (ApplicationState.AWAITING_EMPLOYER, "to_employer"),
            (ApplicationState.SUBMITTED, "approved"),
        ]
    elif state == ApplicationState.SUBMITTED:
        steps = [(ApplicationState.SUBMITTED, "submitted")]
    for to_state, note in steps:
        room = (latest - at) / 2
        at = at + min(room, datetime.timedelta(hours=rng.uniform(1, 24 * 8)))
        events.append(
            ApplicationEvent(
                application=app,
                at=at,
                actor=None if note == "approved" else person.user,
                from_state=previous,
                to_state=to_state,
                note=EVENT_NOTES[note].format(name=signatory),
            )
        )
        previous = to_state
    if state == ApplicationState.SUBMITTED:
        app.submitted_at = at
        if employee:
            app.employer_approved_at = at
    return ApplicationPlan(application=app, competence_ids=comp_ids, events=events)


def _state_for(gen: Generator, person: PersonPlan) -> ApplicationState:
    if person.leader:
        return gen.weighted([(ApplicationState.DRAFT, 0.3), (ApplicationState.SUBMITTED, 0.7)])
    return gen.weighted(
        [
            (ApplicationState.DRAFT, 0.25),
            (ApplicationState.AWAITING_EMPLOYER, 0.2),
            (ApplicationState.SUBMITTED, 0.55),
        ]
    )


def _proposable_index(
    people: Iterable[PersonPlan],
) -> tuple[dict[int, list[ResourcePerson]], list[ResourcePerson]]:
    """Validated resource persons listed in the directory, by competence."""
    index: dict[int, list[ResourcePerson]] = defaultdict(list)
    listed = []
    for p in people:
        rp = p.resource_person
        if rp is None or rp.status != ValidationStatus.VALIDATED or not rp.consent_directory:
            continue
        listed.append(rp)
        for pk in p.competence_ids:
            index[pk].append(rp)
    return index, listed


def _plan_applications(
    gen: Generator,
    people: list[PersonPlan],
    count: int,
    windows: tuple[CallWindow, CallWindow],
) -> list[ApplicationPlan]:
    open_window, past_window = windows
    applicants = [p for p in people if Role.APPLICANT in p.roles]
    gen.rng.shuffle(applicants)
    proposable, listed = _proposable_index(people)
    plans = []
    for i in range(count):
        person = applicants[i % len(applicants)]
        # A share of the history: applications submitted to last year's call.
        past = gen.chance(0.15)
        window = past_window if past else open_window
        state = ApplicationState.SUBMITTED if past else _state_for(gen, person)
        plans.append(_plan_application(gen, person, window, state, proposable, listed))
    return plans


def _save_applications(gen: Generator, plans: list[ApplicationPlan]) -> None:
    # References follow submission order, as the platform would have issued them.
    submitted = sorted(
        (p.application for p in plans if p.application.submitted_at is not None),
        key=lambda a: a.submitted_at or gen.now,
    )
    for app in submitted:
        app.reference = gen.reference(app.call, _call_year(app.call))
    Application.objects.bulk_create([p.application for p in plans], batch_size=BATCH_SIZE)
    through: type[Model] = Application.competences.through
    through.objects.bulk_create(  # type: ignore[attr-defined]
        [
            through(application_id=p.application.pk, competence_id=pk)
            for p in plans
            for pk in p.competence_ids
        ],
        batch_size=BATCH_SIZE,
    )
    ApplicationEvent.objects.bulk_create(
        [event for p in plans for event in p.events], batch_size=BATCH_SIZE
    )


def _call_year(call: Call) -> int:
    return 2026 if call.slug == OPEN_CALL_SLUG else 2025


# --------------------------------------------------------------------------------------------
# Demo accounts
# --------------------------------------------------------------------------------------------


def _demo_user(gen: Generator, email: str, **fields: Any) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, password=gen.password_hash, **fields)
        user.save()
    return user


def _grant(user: User, *roles: str) -> None:
    for role in roles:
        RoleGrant.objects.get_or_create(user=user, role=role)


def _create_staff_accounts(gen: Generator, federation: Organisation) -> None:
    gen.coordinator = _demo_user(
        gen,
        COORDINATOR_EMAIL,
        first_name="Claire",
        last_name="Delmas",
        gender=Gender.WOMAN,
        job_title="coordinatrice du dispositif TSF / Mentorat",
        employment_status=EmploymentStatus.EMPLOYEE,
        organisation=federation,
    )
    _grant(gen.coordinator, Role.COORDINATOR)
    committee = _demo_user(
        gen,
        COMMITTEE_EMAIL,
        first_name="Julien",
        last_name="Roumieu",
        gender=Gender.MAN,
        job_title="membre du comité de sélection",
    )
    _grant(committee, Role.COMMITTEE)
    funder = _demo_user(
        gen,
        FUNDER_EMAIL,
        first_name="Nadia",
        last_name="Benhamou",
        gender=Gender.WOMAN,
        job_title="chargée de mission musiques actuelles (financeur)",
    )
    _grant(funder, Role.FUNDER)
    admin = _demo_user(
        gen,
        ADMIN_EMAIL,
        first_name="Alex",
        last_name="Martin",
        is_staff=True,
        is_superuser=True,
        job_title="administrateur·rice de la plateforme",
    )
    _grant(admin, Role.ADMIN)


def enrol_demo_second_factor(emails: Iterable[str] | None = None) -> int:
    """Give demo staff accounts (``@maillage.demo``) without an authenticator the demo TOTP
    device; returns how many were enrolled. Idempotent."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from maillage.people.two_factor import SECOND_FACTOR_ROLES, TOTP_DEVICE_NAME

    users = User.objects.filter(
        email__endswith=DEMO_EMAIL_DOMAIN, role_grants__role__in=SECOND_FACTOR_ROLES
    ).exclude(totpdevice__confirmed=True)
    if emails is not None:
        users = users.filter(email__in=list(emails))
    missing = list(users.distinct())
    TOTPDevice.objects.bulk_create(
        [
            TOTPDevice(user=user, name=TOTP_DEVICE_NAME, key=DEMO_TOTP_KEY_HEX, confirmed=True)
            for user in missing
        ]
    )
    return len(missing)


def _create_federation(gen: Generator) -> Organisation:
    toulouse = "31555" if "31555" in gen.ref.commune_names else None
    if toulouse is None:
        toulouse = gen.commune_in(gen.ref.departements[0][0])[0]
    federation = Organisation.objects.create(
        name=OPERATOR_NAME,
        siret=gen.siret(),
        legal_form=LegalForm.ASSOCIATION,
        commune_id=toulouse,
        headcount=6,
        federation_member=True,
        website="https://www.federation-musiques-actuelles-occitanie.example.org",
    )
    OrganisationActivity.objects.create(organisation=federation, activity=ActivityType.NETWORK)
    return federation


def _create_demo_members(
    gen: Generator,
    organisations: list[tuple[Organisation, list[str], str]],
    windows: tuple[CallWindow, CallWindow],
) -> None:
    """The candidate (three applications in different states) and a consenting resource
    person she proposes, in two different organisations of the first block."""
    venue = next((o for o in organisations if ActivityType.VENUE in o[1]), organisations[0])
    festival = next(
        (o for o in organisations if o[1][0] == ActivityType.FESTIVAL and o is not venue),
        next(o for o in organisations if o is not venue),
    )
    if User.objects.filter(email__in=[CANDIDATE_EMAIL, RESOURCE_PERSON_EMAIL]).exists():
        return
    title_rp = EMPLOYEE_TITLES[1]  # chargé·e de production
    rp_person = PersonPlan(
        user=User(
            email=RESOURCE_PERSON_EMAIL,
            first_name="Marc",
            last_name="Vidal",
            password=gen.password_hash,
            job_title="directeur de production",
            employment_status=EmploymentStatus.EMPLOYEE,
            organisation=venue[0],
            gender=Gender.MAN,
            date_joined=gen.now - datetime.timedelta(days=500),
        ),
        organisation=venue[0],
        org_phrase=venue[2],
        commune_id=venue[0].commune_id,
        gender=Gender.MAN,
        title=title_rp,
        leader=False,
    )
    _plan_resource_person(gen, rp_person)
    rp = rp_person.resource_person
    assert rp is not None
    rp.status = ValidationStatus.VALIDATED
    rp.validated_at = gen.now - datetime.timedelta(days=200)
    rp.validated_by = gen.coordinator
    rp.accepts_matching = True
    rp.available_months = []
    rp.format_immersion = rp.format_on_site = rp.format_remote = True
    rp.consent_directory = rp.consent_show_name = rp.consent_show_organisation = True
    rp.consent_show_job = rp.consent_show_summary = rp.consent_show_commune = True
    rp.consent_updated_at = gen.now - datetime.timedelta(days=199)
    rp.years_of_experience = 18
    # A fixed, coherent profile for the showcase account (production, tours, contracts).
    levels = {
        "production_tournee.montage_production": Level.EXPERT,
        "production_tournee.logistique_tournee": Level.EXPERT,
        "administration.contrats": Level.ADVANCED,
        "paie_intermittence.cddu_intermittence": Level.ADVANCED,
    }
    rp_person.competence_ids = gen.competences_by_code(list(levels), title_rp)
    rp.summary = _summary(gen, rp_person, 18, rp_person.competence_ids)
    links = [
        ResourcePersonCompetence(
            resource_person=rp,
            competence_id=pk,
            level=level,
            description=LEVEL_DESCRIPTIONS[level][0].format(e=""),
        )
        for pk, level in zip(rp_person.competence_ids, levels.values(), strict=True)
    ]

    candidate = PersonPlan(
        user=User(
            email=CANDIDATE_EMAIL,
            first_name="Inès",
            last_name="Garcia",
            password=gen.password_hash,
            job_title="chargée de production",
            employment_status=EmploymentStatus.EMPLOYEE,
            organisation=festival[0],
            gender=Gender.WOMAN,
            date_joined=gen.now - datetime.timedelta(days=480),
        ),
        organisation=festival[0],
        org_phrase=festival[2],
        commune_id=festival[0].commune_id,
        gender=Gender.WOMAN,
        title=title_rp,
        leader=False,
        roles={Role.APPLICANT},
    )
    _save_people(gen, [rp_person, candidate])
    ResourcePersonCompetence.objects.bulk_create(links)
    open_window, past_window = windows
    shared = rp_person.competence_ids[:2]
    own = gen.competences_by_code(
        ["communication_numerique.reseaux_sociaux", "communication_numerique.relations_presse"],
        title_rp,
    )
    contracts = gen.competences_by_code(["administration.contrats"], title_rp)
    plans = [
        _plan_application(
            gen,
            candidate,
            past_window,
            ApplicationState.SUBMITTED,
            {},
            [],
            competence_ids=contracts,
        ),
        _plan_application(
            gen,
            candidate,
            open_window,
            ApplicationState.AWAITING_EMPLOYER,
            {},
            [],
            competence_ids=shared,
            proposed=rp,
        ),
        _plan_application(
            gen,
            candidate,
            open_window,
            ApplicationState.DRAFT,
            {},
            [],
            competence_ids=own,
        ),
    ]
    # Her draft is a work in progress but already readable.
    plans[2].application.need = plans[2].application.need or "À compléter."
    _save_applications(gen, plans)


# --------------------------------------------------------------------------------------------
# Orchestration
# --------------------------------------------------------------------------------------------


def _windows(gen: Generator, open_call: Call, past_call: Call) -> tuple[CallWindow, CallWindow]:
    result = []
    for call in (open_call, past_call):
        assert call.closes_on is not None
        start = gen.aware(call.opens_on, 10)
        end = gen.aware(call.closes_on, 23)
        if call.closes_on >= gen.today:
            # Transfers wished between a fortnight from now and the closing date.
            period_start = gen.today + datetime.timedelta(days=14)
        else:
            period_start = call.opens_on + datetime.timedelta(days=30)
        result.append(
            CallWindow(
                call,
                _call_year(call),
                start,
                end,
                period_start,
                max(call.closes_on, period_start + datetime.timedelta(days=7)),
            )
        )
    return result[0], result[1]


def _generate_block(
    gen: Generator, units: int, windows: tuple[CallWindow, CallWindow], *, first: bool
) -> None:
    # Applications only involve organisations of their own block: dropping the previous
    # block's signatories lets its objects be freed (memory stays flat at benchmark scales).
    gen.leaders.clear()
    gen.signatories.clear()
    # With DEBUG on, Django keeps the SQL of every query, bulk INSERTs included (hundreds of
    # kilobytes each): forget it between blocks.
    reset_queries()
    organisations = _plan_organisations(gen, ORGANISATIONS_PER_UNIT * units)
    _save_organisations(gen, organisations)
    people = _plan_people(gen, organisations, PEOPLE_PER_UNIT * units)
    # Resource persons are a random sample of the block; a fifth of them also apply.
    rp_people = gen.rng.sample(people, k=RESOURCE_PERSONS_PER_UNIT * units)
    links: list[ResourcePersonCompetence] = []
    for person in rp_people:
        links.extend(_plan_resource_person(gen, person))
    for person in people:
        if person.resource_person is None or gen.chance(0.2):
            person.roles.add(Role.APPLICANT)
    plans = _plan_applications(gen, people, APPLICATIONS_PER_UNIT * units, windows)
    _save_people(gen, people)
    ResourcePersonCompetence.objects.bulk_create(links, batch_size=BATCH_SIZE)
    _save_applications(gen, plans)
    if first:
        _create_demo_members(gen, organisations, windows)


def seed_demo(
    *, seed: int = 2026, scale: int = 1, today: datetime.date | None = None
) -> SeedResult:
    """Create the demo data set once; a second call finds the programme and does nothing."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    if Programme.objects.filter(slug=PROGRAMME_SLUG).exists():
        return SeedResult(created=False)
    today = today or timezone.localdate()
    with transaction.atomic():
        gen = Generator(seed=seed, today=today, now=timezone.now())
        _programme, open_call, past_call = _create_programme_and_calls(today)
        federation = _create_federation(gen)
        _create_staff_accounts(gen, federation)
        windows = _windows(gen, open_call, past_call)
        remaining, first = scale, True
        while remaining > 0:
            units = min(UNITS_PER_BLOCK, remaining)
            _generate_block(gen, units, windows, first=first)
            remaining -= units
            first = False
        # ``created_at`` is auto_now_add, so bulk_create stamps "now": align it on the first
        # event in one UPDATE instead of rewriting rows one by one.
        # Min() per application uses the application_id index; ORDER BY at LIMIT 1 made
        # PostgreSQL walk the whole ``at`` index for every row at benchmark scale.
        first_event_at = (
            ApplicationEvent.objects.filter(application=OuterRef("pk"))
            .values("application")
            .annotate(first_at=Min("at"))
            .values("first_at")
        )
        Application.objects.filter(call__programme=_programme).update(
            created_at=Subquery(first_event_at)
        )
        _seed_selection(gen, open_call, past_call)
        enrol_demo_second_factor()
        _freeze_eligibility(_programme)
        # bulk_create sends no signal: index the directory in one pass.
        from maillage.directory.services import rebuild_directory_index

        rebuild_directory_index()
    return SeedResult(created=True, counts=demo_counts())


def _freeze_eligibility(programme: Programme) -> None:
    """Store the eligibility evaluated at submission, as the submit service does, so that the
    back office's eligibility filter and column work on demo data.

    Values are read in a few bulk queries and evaluated with the pure rules: no per-row query,
    since the benchmarks seed at scale ~420.
    """
    from maillage.applications import eligibility

    applications = list(
        Application.objects.filter(
            call__programme=programme, submitted_at__isnull=False
        ).select_related(
            "applicant", "organisation__commune__departement", "proposed_resource_person__user"
        )
    )
    activities: dict[int, set[str]] = defaultdict(set)
    for organisation_id, activity in OrganisationActivity.objects.filter(
        organisation__applications__call__programme=programme
    ).values_list("organisation_id", "activity"):
        activities[organisation_id].add(activity)
    for application in applications:
        organisation = application.organisation
        person = application.proposed_resource_person
        results = eligibility.evaluate(
            eligibility.EligibilityInput(
                organisation_id=organisation.pk if organisation else None,
                organisation_region_code=(
                    organisation.commune.departement.region_code if organisation else None
                ),
                programme_region_code=programme.region_code,
                organisation_activities=frozenset(
                    activities.get(organisation.pk, ()) if organisation else ()
                ),
                employment_status=application.declared_status,
                mentor_organisation_id=person.user.organisation_id if person else None,
                days=application.days,
                min_days=programme.min_days_per_transfer,
                max_days=programme.max_days_per_transfer,
                # Submitted while the call was open, with the agreement the rules require.
                call_open=True,
                employer_approval=eligibility.APPROVAL_APPROVED,
            )
        )
        application.eligibility_snapshot = [result.as_dict() for result in results]
        application.eligible_at_submission = eligibility.is_eligible(results)
    Application.objects.bulk_update(
        applications, ["eligibility_snapshot", "eligible_at_submission"], batch_size=1000
    )


def demo_counts() -> dict[str, int]:
    """What the database now holds (the demo normally starts from an empty database)."""
    return {
        "organisations": Organisation.objects.count(),
        "people": User.objects.count(),
        "resource_persons": ResourcePerson.objects.count(),
        "resource_person_competences": ResourcePersonCompetence.objects.count(),
        "applications": Application.objects.count(),
        "events": ApplicationEvent.objects.count(),
    }


# --------------------------------------------------------------------------------------------
# Selection (review app): committee, grids, assignments, scores, sessions and decisions
# --------------------------------------------------------------------------------------------

# Extra committee members (the showcase account is COMMITTEE_EMAIL): first, last, job.
COMMITTEE_MEMBERS = [
    ("Sophie", "Castan", "directrice d'une SMAC (membre du comité)"),
    ("Karim", "Oulad", "administrateur d'un festival (membre du comité)"),
    ("Élodie", "Sarrail", "représentante de la Région Occitanie (membre du comité)"),
    ("Pierre", "Maury", "chargé de mission au Centre national de la musique (membre du comité)"),
]
COMPLETION_REASONS = [
    "Merci de préciser le nombre de jours et la période souhaitée : ils ne correspondent pas.",
    "Le besoin reste très général : décrivez une ou deux situations concrètes de votre travail.",
    "Indiquez les résultats attendus pour votre structure, pas seulement pour vous.",
    "Ajoutez l'accord signé de votre direction : celui qui est joint ne concerne pas cet appel.",
]
REVIEW_COMMENTS = [
    "Besoin bien situé dans le quotidien de travail.",
    "La personne-ressource proposée semble très pertinente.",
    "Impact réel pour une petite équipe.",
    "Territoire peu représenté dans le dispositif : à soutenir.",
    "Le besoin pourrait être plus précis.",
    "Les résultats attendus restent flous.",
]
MOTIVATIONS = {
    "accepted": [
        "Besoin précis et directement lié au poste ; personne-ressource pertinente.",
        "Projet solide, impact fort pour la structure et bon équilibre territorial.",
    ],
    "waitlisted": [
        "Candidature de qualité, classée après les candidatures retenues dans la limite de "
        "l'enveloppe.",
    ],
    "refused": [
        "Le besoin relève davantage d'une formation collective que d'un transfert de pair à pair.",
        "Le besoin reste trop général : le comité vous encourage à candidater de nouveau en le "
        "précisant.",
    ],
    "no_follow_up": [
        "Candidature retirée par la personne candidate.",
        "La structure a trouvé une autre solution avant la décision du comité.",
    ],
}


def _create_committee(gen: Generator, federation: Organisation) -> list[User]:
    members = [User.objects.get(email=COMMITTEE_EMAIL)]
    for i, (first, last, job) in enumerate(COMMITTEE_MEMBERS, start=2):
        user = _demo_user(
            gen,
            f"comite{i}@maillage.demo",
            first_name=first,
            last_name=last,
            job_title=job,
            employment_status=EmploymentStatus.EMPLOYEE,
            organisation=federation if i == 2 else None,
        )
        _grant(user, Role.COMMITTEE)
        members.append(user)
    return members


def _create_grid(call: Call) -> list[Any]:
    from maillage.review.models import Criterion, ScoringGrid
    from maillage.review.services import DEFAULT_CRITERIA

    grid = ScoringGrid.objects.create(call=call)
    return Criterion.objects.bulk_create(
        [
            Criterion(
                grid=grid,
                label=label,
                description=description,
                weight=weight,
                scale_max=scale,
                position=i,
            )
            for i, (label, description, weight, scale) in enumerate(DEFAULT_CRITERIA, start=1)
        ]
    )


def _chunks(ids: list[int], size: int = BATCH_SIZE) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _set_state(ids: list[int], state: str, **fields: Any) -> None:
    for chunk in _chunks(ids):
        Application.objects.filter(pk__in=chunk).update(state=state, **fields)


def _review_rows(
    gen: Generator,
    rows: list[tuple[int, int | None, datetime.datetime]],
    members: list[User],
    criteria: list[Any],
    *,
    at: datetime.datetime | None,
    complete: bool,
) -> dict[int, float]:
    """Assign two members per application (balanced, never a colleague), declare, score.

    Returns the weighted total (/20) of each application with submitted reviews."""
    from maillage.review import assignment as balanced
    from maillage.review import stats
    from maillage.review.models import ConflictDeclaration, ReviewAssignment, Score

    coordinator = gen.coordinator
    plan = balanced.assign(
        [balanced.Item(pk, organisation_id) for pk, organisation_id, _ in rows],
        [balanced.Reviewer(m.pk, m.organisation_id) for m in members],
        per_item=2,
    )
    dates = {pk: submitted for pk, _, submitted in rows}
    assignments: list[ReviewAssignment] = []
    outcome: list[str] = []  # per assignment: "conflict", "none", "draft", "submitted"
    for pk, reviewer_ids in plan.items():
        for reviewer_id in reviewer_ids:
            review_at = at or gen.moment(dates[pk], gen.now - datetime.timedelta(minutes=30))
            assignments.append(
                ReviewAssignment(
                    application_id=pk,
                    reviewer_id=reviewer_id,
                    assigned_by=coordinator,
                    submitted_at=review_at,
                )
            )
            if complete:
                outcome.append("submitted")
            else:
                outcome.append(
                    gen.weighted(
                        [
                            ("submitted", 0.55),
                            ("draft", 0.15),
                            ("none", 0.15),
                            ("undeclared", 0.1),
                            ("conflict", 0.05),
                        ]
                    )
                )
    for assignment, state in zip(assignments, outcome, strict=True):
        if state != "submitted":
            assignment.submitted_at = None
        if state in ("submitted", "draft"):
            assignment.overall_comment = gen.rng.choice(REVIEW_COMMENTS)
    ReviewAssignment.objects.bulk_create(assignments, batch_size=BATCH_SIZE)
    declarations, scores = [], []
    specs = [stats.CriterionSpec(c.pk, float(c.weight), c.scale_max) for c in criteria]
    reviews: dict[int, list[dict[int, float]]] = defaultdict(list)
    for assignment, state in zip(assignments, outcome, strict=True):
        if state == "undeclared":
            continue
        kind = "personal_link" if state == "conflict" else "none"
        declarations.append(
            ConflictDeclaration(
                assignment=assignment,
                kind=kind,
                note="Ancien·ne collègue de la personne candidate." if kind != "none" else "",
            )
        )
        if state not in ("submitted", "draft"):
            continue
        quality = gen.rng.uniform(0.3, 1.0)
        values = {}
        for criterion in criteria[: len(criteria) if state == "submitted" else 2]:
            value = round(criterion.scale_max * min(1.0, max(0.0, gen.rng.gauss(quality, 0.15))))
            values[criterion.pk] = float(value)
            scores.append(
                Score(
                    assignment=assignment,
                    criterion=criterion,
                    value=value,
                    comment=gen.rng.choice(REVIEW_COMMENTS) if gen.chance(0.4) else "",
                )
            )
        if state == "submitted":
            reviews[assignment.application_id].append(values)
    ConflictDeclaration.objects.bulk_create(declarations, batch_size=BATCH_SIZE)
    Score.objects.bulk_create(scores, batch_size=BATCH_SIZE)
    return {pk: stats.aggregate(values, specs).mean_total or 0.0 for pk, values in reviews.items()}


def _seed_open_call_selection(gen: Generator, call: Call, members: list[User]) -> None:
    from maillage.review.models import CommitteeSession, SessionItem

    criteria = _create_grid(call)
    rows = list(
        Application.objects.filter(call=call, state=ApplicationState.SUBMITTED)
        .order_by("pk")
        .values_list("pk", "organisation_id", "submitted_at")
    )
    to_complete, under_review = [], []
    for row in rows:
        draw = gen.rng.random()
        if draw < 0.12:
            to_complete.append(row)
        elif draw < 0.6:
            under_review.append(row)
    events = []
    for pk, _org, submitted in to_complete:
        events.append(
            ApplicationEvent(
                application_id=pk,
                at=gen.moment(submitted or gen.now, gen.now - datetime.timedelta(minutes=30)),
                actor=gen.coordinator,
                from_state=ApplicationState.SUBMITTED,
                to_state=ApplicationState.TO_COMPLETE,
                note=gen.rng.choice(COMPLETION_REASONS),
            )
        )
    for pk, _org, submitted in under_review:
        events.append(
            ApplicationEvent(
                application_id=pk,
                at=gen.moment(submitted or gen.now, gen.now - datetime.timedelta(hours=1)),
                actor=gen.coordinator,
                from_state=ApplicationState.SUBMITTED,
                to_state=ApplicationState.UNDER_REVIEW,
                note="Passée en instruction",
            )
        )
    ApplicationEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)
    _set_state([r[0] for r in to_complete], ApplicationState.TO_COMPLETE)
    _set_state([r[0] for r in under_review], ApplicationState.UNDER_REVIEW)
    # Reviews start once the application is under review (after its event).
    starts = {e.application_id: e.at for e in events}
    totals = _review_rows(
        gen,
        [(pk, org, starts[pk]) for pk, org, _ in under_review],
        members,
        criteria,
        at=None,
        complete=False,
    )
    session = CommitteeSession.objects.create(
        call=call,
        title="Comité de sélection — session de printemps",
        date=gen.today + datetime.timedelta(days=7),
        created_by=gen.coordinator,
    )
    # On the agenda: every application with at least one completed review, ready to decide.
    SessionItem.objects.bulk_create(
        [SessionItem(session=session, application_id=pk) for pk in sorted(totals)],
        batch_size=BATCH_SIZE,
    )


def _seed_past_call_decisions(gen: Generator, call: Call, members: list[User]) -> None:
    """Last year's call: everything reviewed and decided in a locked session."""
    from maillage.review import budget
    from maillage.review.models import CommitteeSession, SessionItem

    criteria = _create_grid(call)
    rows = list(
        Application.objects.filter(call=call, state=ApplicationState.SUBMITTED)
        .order_by("pk")
        .values_list(
            "pk",
            "organisation_id",
            "submitted_at",
            "days",
            "format_remote",
            "format_immersion",
            "format_on_site",
            "format_mixed",
        )
    )
    if not rows:
        return
    assert call.closes_on is not None
    review_start = gen.aware(call.closes_on + datetime.timedelta(days=2), 10)
    session_day = call.closes_on + datetime.timedelta(days=20)
    locked_at = gen.aware(session_day, 18)
    totals = _review_rows(
        gen,
        [(r[0], r[1], review_start) for r in rows],
        members,
        criteria,
        at=review_start + datetime.timedelta(days=7),
        complete=True,
    )
    ranked = sorted(rows, key=lambda r: (-totals.get(r[0], 0.0), r[0]))
    rules = call.programme.cost_rules
    decisions: dict[str, list[int]] = defaultdict(list)
    items, events = [], []
    for rank, (pk, _org, _submitted, days, remote, *others) in enumerate(ranked):
        share = rank / len(ranked)
        if gen.chance(0.08):
            outcome = "no_follow_up"
        elif share < 0.55:
            outcome = "accepted"
        elif share < 0.7:
            outcome = "waitlisted"
        else:
            outcome = "refused"
        motivation = gen.rng.choice(MOTIVATIONS[outcome])
        decisions[outcome].append(pk)
        cost = budget.estimate(
            rules,
            days=days or 0,
            distance=None,
            remote_only=remote and not any(others),
            fallback=budget.DEFAULT_DISTANCE_KM,
        )
        items.append((pk, outcome, motivation, cost))
        events.append(
            ApplicationEvent(
                application_id=pk,
                at=review_start,
                actor=gen.coordinator,
                from_state=ApplicationState.SUBMITTED,
                to_state=ApplicationState.UNDER_REVIEW,
                note="Passée en instruction",
            )
        )
        events.append(
            ApplicationEvent(
                application_id=pk,
                at=locked_at,
                actor=gen.coordinator,
                from_state=ApplicationState.UNDER_REVIEW,
                to_state=outcome,
                note=motivation,
            )
        )
    session = CommitteeSession.objects.create(
        call=call,
        title="Comité de sélection 2025",
        date=session_day,
        created_by=gen.coordinator,
        locked_at=locked_at,
        locked_by=gen.coordinator,
    )
    SessionItem.objects.bulk_create(
        [
            SessionItem(
                session=session,
                application_id=pk,
                decision=outcome,
                motivation=motivation,
                estimated_fee=cost.fee,
                estimated_travel=cost.travel,
            )
            for pk, outcome, motivation, cost in items
        ],
        batch_size=BATCH_SIZE,
    )
    ApplicationEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)
    for outcome, ids in decisions.items():
        _set_state(ids, outcome, decided_at=locked_at)
    # Motivations differ per application: one UPDATE per distinct text (a handful).
    by_text: dict[str, list[int]] = defaultdict(list)
    for pk, _outcome, motivation, _cost in items:
        by_text[motivation].append(pk)
    for text, ids in by_text.items():
        for chunk in _chunks(ids):
            Application.objects.filter(pk__in=chunk).update(decision_motivation=text)


def _seed_selection(gen: Generator, open_call: Call, past_call: Call) -> None:
    federation = Organisation.objects.get(name=OPERATOR_NAME)
    members = _create_committee(gen, federation)
    _seed_past_call_decisions(gen, past_call, members)
    _seed_open_call_selection(gen, open_call, members)
