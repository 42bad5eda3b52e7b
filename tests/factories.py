"""factory-boy factories for every model.

Geography rows come from the data migrations, so the geography factories fetch the loaded
rows (Toulouse, Haute-Garonne by default) instead of inventing communes: distances, postal
codes and département aggregates in tests then behave as in production.
"""

import datetime
import hashlib
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory, Password
from stdnum import luhn

from maillage.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationState,
    Attachment,
    AttachmentKind,
    EmployerApproval,
)
from maillage.calls.models import Call, Programme
from maillage.competences.models import Competence, Domain
from maillage.geography.models import Commune, Departement, PostalCode
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

TEST_PASSWORD = "maillage-test-2026"


def make_siret(n: int) -> str:
    """A valid SIRET unique for each ``n`` (< 10**7).

    The SIREN starts with 2, a digit the demo generator never uses, so factory rows and
    ``seed_demo`` rows cannot collide in the same test database.
    """
    body = f"2{n:07d}"
    siren = body + luhn.calc_check_digit(body)
    nic = "0001"
    return siren + nic + luhn.calc_check_digit(siren + nic)


# --------------------------------------------------------------------------------------------
# Geography (reuses the rows loaded by the migrations)
# --------------------------------------------------------------------------------------------


class DepartementFactory(DjangoModelFactory):
    class Meta:
        model = Departement
        django_get_or_create = ("code",)

    code = "31"
    name = "Haute-Garonne"
    region_code = "76"
    population = 1_415_757
    area_km2 = 6309.0
    rural = False


class CommuneFactory(DjangoModelFactory):
    """Toulouse by default; ``CommuneFactory(insee_code="34172")`` fetches Montpellier."""

    class Meta:
        model = Commune
        django_get_or_create = ("insee_code",)

    insee_code = "31555"
    name = "Toulouse"
    departement = factory.SubFactory(DepartementFactory)
    population = 504_078
    latitude = 43.6045
    longitude = 1.4440


def loaded_commune(insee_code: str) -> Commune:
    """A commune loaded by the migrations (fails loudly if the reference data is missing)."""
    return Commune.objects.get(insee_code=insee_code)


class PostalCodeFactory(DjangoModelFactory):
    class Meta:
        model = PostalCode
        django_get_or_create = ("code", "commune")

    code = "31000"
    commune = factory.SubFactory(CommuneFactory)


# --------------------------------------------------------------------------------------------
# Competences (new rows, distinct from the loaded taxonomy)
# --------------------------------------------------------------------------------------------


class DomainFactory(DjangoModelFactory):
    class Meta:
        model = Domain
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"domaine-test-{n}")
    label_fr = factory.Sequence(lambda n: f"Domaine de test {n}")
    label_en = factory.Sequence(lambda n: f"Test domain {n}")
    position = factory.Sequence(lambda n: 100 + n)


class CompetenceFactory(DjangoModelFactory):
    class Meta:
        model = Competence
        django_get_or_create = ("code",)

    domain = factory.SubFactory(DomainFactory)
    code = factory.Sequence(lambda n: f"test.competence-{n}")
    label_fr = factory.Sequence(lambda n: f"Compétence de test {n}")
    label_en = factory.Sequence(lambda n: f"Test competence {n}")
    description_fr = "Construire et suivre un outil de test."
    keywords = "test\noutil"
    position = factory.Sequence(lambda n: n)
    is_active = True


# --------------------------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------------------------


class OrganisationFactory(DjangoModelFactory):
    """``OrganisationFactory(activities=["salle", "festival"])`` sets the activities (default:
    one venue)."""

    class Meta:
        model = Organisation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Structure de test {n}")
    siret = factory.Sequence(make_siret)
    legal_form = LegalForm.ASSOCIATION
    commune = factory.SubFactory(CommuneFactory)
    headcount = 5
    federation_member = False

    @factory.post_generation
    def activities(obj: Any, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        if not create:
            return
        codes = [ActivityType.VENUE] if extracted is None else extracted
        OrganisationActivity.objects.bulk_create(
            [OrganisationActivity(organisation=obj, activity=code) for code in codes]
        )


class OrganisationActivityFactory(DjangoModelFactory):
    class Meta:
        model = OrganisationActivity
        django_get_or_create = ("organisation", "activity")

    organisation = factory.SubFactory(OrganisationFactory, activities=[])
    activity = ActivityType.FESTIVAL


# --------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------


class UserFactory(DjangoModelFactory):
    """``UserFactory(roles=[Role.COORDINATOR], password="…")``: no role unless asked; the
    password (hashed by the factory) defaults to TEST_PASSWORD."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.invalid")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = Password(TEST_PASSWORD)
    job_title = "chargé·e de production"
    employment_status = EmploymentStatus.EMPLOYEE
    organisation = factory.SubFactory(OrganisationFactory)
    gender = Gender.UNDISCLOSED

    @factory.post_generation
    def roles(obj: Any, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        if not create or not extracted:
            return
        RoleGrant.objects.bulk_create([RoleGrant(user=obj, role=role) for role in extracted])
        # ``User.roles`` is a cached_property: forget any value read before the grants.
        obj.__dict__.pop("roles", None)


class RoleGrantFactory(DjangoModelFactory):
    class Meta:
        model = RoleGrant
        django_get_or_create = ("user", "role")

    user = factory.SubFactory(UserFactory)
    role = Role.APPLICANT


class ResourcePersonFactory(DjangoModelFactory):
    """A validated, matchable resource person listed in the directory with every field
    consent given, working in their organisation's commune (Toulouse by default).

    ``ResourcePersonFactory(competences=[c1, c2])`` links competences (level 2)."""

    class Meta:
        model = ResourcePerson
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, roles=[Role.RESOURCE_PERSON])
    commune = factory.LazyAttribute(
        lambda o: o.user.organisation.commune if o.user.organisation else CommuneFactory()
    )
    years_of_experience = 12
    summary = "Je transmets mes méthodes de production et de régie, outils à l'appui."
    days_per_year = 10
    available_months = factory.LazyFunction(list)
    travel_radius_km = 100
    accepts_matching = True
    status = ValidationStatus.VALIDATED
    validated_at = factory.LazyFunction(timezone.now)
    format_immersion = True
    format_on_site = True
    format_remote = True
    format_mixed = False
    consent_directory = True
    consent_show_name = True
    consent_show_organisation = True
    consent_show_job = True
    consent_show_summary = True
    consent_show_commune = True
    consent_updated_at = factory.LazyFunction(timezone.now)

    class Params:
        pending = factory.Trait(
            status=ValidationStatus.PENDING, validated_at=None, consent_directory=False
        )
        suspended = factory.Trait(status=ValidationStatus.SUSPENDED)

    @factory.post_generation
    def competences(
        obj: Any, create: bool, extracted: list[Competence] | None, **kwargs: Any
    ) -> None:
        if not create or not extracted:
            return
        ResourcePersonCompetence.objects.bulk_create(
            [
                ResourcePersonCompetence(
                    resource_person=obj, competence=competence, level=Level.ADVANCED
                )
                for competence in extracted
            ]
        )


class ResourcePersonCompetenceFactory(DjangoModelFactory):
    class Meta:
        model = ResourcePersonCompetence

    resource_person = factory.SubFactory(ResourcePersonFactory)
    competence = factory.SubFactory(CompetenceFactory)
    level = Level.ADVANCED
    description = "Méthodes et outils éprouvés."


# --------------------------------------------------------------------------------------------
# Programme and calls
# --------------------------------------------------------------------------------------------


class ProgrammeFactory(DjangoModelFactory):
    """Shared by all calls by default. Its slug is not the demo's "tsf-mentorat", so tests can
    still run ``seed_demo`` after creating calls."""

    class Meta:
        model = Programme
        django_get_or_create = ("slug",)

    name = "Transfert de savoir-faire / Mentorat"
    slug = "tsf-test"
    summary = "Programme de test."
    funders = "État (DRAC Occitanie), Centre national de la musique, Région Occitanie"
    operator = "Fédération de test"
    daily_rate = Decimal("250.00")
    travel_rate_per_km = Decimal("0.320")
    accommodation_per_night = Decimal("90.00")
    travel_cap_per_transfer = Decimal("600.00")


class CallFactory(DjangoModelFactory):
    """Published and open today by default (opened 30 days ago, closes in 30 days)."""

    class Meta:
        model = Call

    programme = factory.SubFactory(ProgrammeFactory)
    title = factory.Sequence(lambda n: f"Appel à candidatures de test {n}")
    slug = factory.Sequence(lambda n: f"appel-test-{n}")
    summary = "Un appel de test."
    text = "Premier paragraphe de l'appel.\n\nSecond paragraphe de l'appel."
    opens_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    closes_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    budget_envelope = Decimal("120000.00")
    published = True


# --------------------------------------------------------------------------------------------
# Applications
# --------------------------------------------------------------------------------------------


class ApplicationFactory(DjangoModelFactory):
    """A draft by default, with its creation event; traits ``awaiting_employer`` and
    ``submitted`` (reference, dates and events included). ``competences=[…]`` links
    competences."""

    class Meta:
        model = Application
        skip_postgeneration_save = True

    call = factory.SubFactory(CallFactory)
    applicant = factory.SubFactory(UserFactory)
    organisation = factory.SelfAttribute("applicant.organisation")
    state = ApplicationState.DRAFT
    need = "J'ai besoin d'apprendre à construire un budget prévisionnel de tournée."
    expected_results = "Être autonome sur le budget de la prochaine tournée."
    days = 2
    desired_start = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=40))
    desired_end = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=70))
    format_on_site = True
    format_remote = True
    employer_signatory_name = "Camille Directrice"
    employer_signatory_email = "direction@exemple.invalid"

    class Params:
        awaiting_employer = factory.Trait(state=ApplicationState.AWAITING_EMPLOYER)
        submitted = factory.Trait(
            state=ApplicationState.SUBMITTED,
            submitted_at=factory.LazyFunction(timezone.now),
            employer_approved_at=factory.SelfAttribute("submitted_at"),
            reference=factory.Sequence(lambda n: f"TSF-TEST-{n:04d}"),
        )

    @factory.post_generation
    def competences(
        obj: Any, create: bool, extracted: list[Competence] | None, **kwargs: Any
    ) -> None:
        if create and extracted:
            obj.competences.set(extracted)

    @factory.post_generation
    def events(obj: Any, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        """History consistent with the state; ``events=False`` skips it."""
        if not create or extracted is False:
            return
        application: Application = obj
        path = {
            ApplicationState.DRAFT: [ApplicationState.DRAFT],
            ApplicationState.AWAITING_EMPLOYER: [
                ApplicationState.DRAFT,
                ApplicationState.AWAITING_EMPLOYER,
            ],
            ApplicationState.SUBMITTED: [
                ApplicationState.DRAFT,
                ApplicationState.AWAITING_EMPLOYER,
                ApplicationState.SUBMITTED,
            ],
        }.get(ApplicationState(application.state), [ApplicationState.DRAFT])
        end = application.submitted_at or timezone.now()
        start = end - datetime.timedelta(days=len(path))
        ApplicationEvent.objects.bulk_create(
            [
                ApplicationEvent(
                    application=application,
                    at=start + datetime.timedelta(days=i),
                    actor=application.applicant if state != ApplicationState.SUBMITTED else None,
                    from_state=path[i - 1] if i else "",
                    to_state=state,
                )
                for i, state in enumerate(path)
            ]
        )


class ApplicationEventFactory(DjangoModelFactory):
    class Meta:
        model = ApplicationEvent

    application = factory.SubFactory(ApplicationFactory, events=False)
    at = factory.LazyFunction(timezone.now)
    actor = factory.SelfAttribute("application.applicant")
    from_state = ""
    to_state = ApplicationState.DRAFT


# --------------------------------------------------------------------------------------------
# applications (journey): attachments and the employer's agreement
# --------------------------------------------------------------------------------------------

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


class AttachmentFactory(DjangoModelFactory):
    """A small PDF joined to a draft (the file is written to MEDIA_ROOT)."""

    class Meta:
        model = Attachment

    application = factory.SubFactory(ApplicationFactory)
    file = factory.django.FileField(filename="upload", data=MINIMAL_PDF)
    original_name = "cv.pdf"
    kind = AttachmentKind.PDF
    size = len(MINIMAL_PDF)


class EmployerApprovalFactory(DjangoModelFactory):
    """A pending request; ``token`` (not stored) gives the link: the hash is stored."""

    class Meta:
        model = EmployerApproval
        exclude = ("token",)

    application = factory.SubFactory(ApplicationFactory, awaiting_employer=True)
    token = factory.Sequence(lambda n: f"jeton-de-test-{n:04d}-abcdefghijklmnopqrstuvwxyz")
    signatory_name = factory.SelfAttribute("application.employer_signatory_name")
    signatory_email = factory.SelfAttribute("application.employer_signatory_email")
    token_hash = factory.LazyAttribute(lambda o: hashlib.sha256(o.token.encode()).hexdigest())
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.sent_at + datetime.timedelta(days=30))


# --------------------------------------------------------------------------------------------
# review: scoring grids, committee assignments, conflicts, scores, sessions
# --------------------------------------------------------------------------------------------

from maillage.review.models import (  # noqa: E402 (section of the review app)
    CommitteeSession,
    ConflictDeclaration,
    ConflictKind,
    Criterion,
    ReviewAssignment,
    Score,
    ScoringGrid,
    SessionItem,
)


class ScoringGridFactory(DjangoModelFactory):
    """A grid with two criteria by default (``criteria=[("Besoin", 2, 5), …]`` to choose)."""

    class Meta:
        model = ScoringGrid
        django_get_or_create = ("call",)
        skip_postgeneration_save = True

    call = factory.SubFactory(CallFactory)

    @factory.post_generation
    def criteria(obj: Any, create: bool, extracted: list[tuple] | None, **kwargs: Any) -> None:
        if not create:
            return
        rows = extracted or [("Précision du besoin", 2, 5), ("Impact pour la structure", 1, 10)]
        Criterion.objects.bulk_create(
            [
                Criterion(
                    grid=obj, label=label, weight=Decimal(str(weight)), scale_max=scale, position=i
                )
                for i, (label, weight, scale) in enumerate(rows, start=1)
            ]
        )


class ReviewAssignmentFactory(DjangoModelFactory):
    """``ReviewAssignmentFactory(declared=True)`` adds a "no conflict" declaration."""

    class Meta:
        model = ReviewAssignment
        skip_postgeneration_save = True

    application = factory.SubFactory(ApplicationFactory, submitted=True)
    reviewer = factory.SubFactory(UserFactory, roles=[Role.COMMITTEE])

    @factory.post_generation
    def declared(obj: Any, create: bool, extracted: str | bool | None, **kwargs: Any) -> None:
        if create and extracted:
            kind = ConflictKind.NONE if extracted is True else extracted
            note = "Autre raison." if kind == ConflictKind.OTHER else ""
            ConflictDeclaration.objects.create(assignment=obj, kind=kind, note=note)


class ScoreFactory(DjangoModelFactory):
    class Meta:
        model = Score

    assignment = factory.SubFactory(ReviewAssignmentFactory, declared=True)
    criterion = factory.LazyAttribute(
        lambda o: ScoringGridFactory(call=o.assignment.application.call).criteria.first()
    )
    value = 3


class CommitteeSessionFactory(DjangoModelFactory):
    class Meta:
        model = CommitteeSession

    call = factory.SubFactory(CallFactory)
    title = factory.Sequence(lambda n: f"Séance de test {n}")
    date = factory.LazyFunction(timezone.localdate)


class SessionItemFactory(DjangoModelFactory):
    class Meta:
        model = SessionItem

    session = factory.SubFactory(CommitteeSessionFactory)
    application = factory.SubFactory(
        ApplicationFactory, submitted=True, call=factory.SelfAttribute("..session.call")
    )


# --------------------------------------------------------------------------------------------
# applications (instruction): revisions, staff notes, messages
# --------------------------------------------------------------------------------------------


class ApplicationRevisionFactory(DjangoModelFactory):
    class Meta:
        model = "applications.ApplicationRevision"

    application = factory.SubFactory(ApplicationFactory, submitted=True)
    number = factory.Sequence(lambda n: n + 1)
    created_at = factory.LazyFunction(timezone.now)
    created_by = factory.SelfAttribute("application.applicant")
    data = factory.LazyFunction(dict)


class StaffNoteFactory(DjangoModelFactory):
    class Meta:
        model = "applications.StaffNote"

    application = factory.SubFactory(ApplicationFactory, submitted=True)
    author = factory.SubFactory(UserFactory, roles=[Role.COORDINATOR])
    body = "Vérifier le SIRET avec la structure."


class MessageFactory(DjangoModelFactory):
    class Meta:
        model = "applications.Message"

    application = factory.SubFactory(ApplicationFactory, submitted=True)
    author = factory.SubFactory(UserFactory, roles=[Role.COORDINATOR])
    from_staff = True
    body = "Pouvez-vous préciser la période ?"


# --------------------------------------------------------------------------------------------
# pairing: accepted needs, matching runs, proposals, pair rules, invitations
# --------------------------------------------------------------------------------------------

from maillage.pairing.models import (  # noqa: E402 (section of the pairing app)
    MatchingRun,
    MentorInvitation,
    PairKind,
    PairRule,
    Proposal,
    ProposalStatus,
)


class AcceptedApplicationFactory(ApplicationFactory):
    """An application accepted by the committee: a need to match."""

    state = ApplicationState.ACCEPTED
    submitted_at = factory.LazyFunction(timezone.now)
    employer_approved_at = factory.SelfAttribute("submitted_at")
    decided_at = factory.LazyFunction(timezone.now)
    reference = factory.Sequence(lambda n: f"TSF-MER-{n:04d}")


class MatchingRunFactory(DjangoModelFactory):
    class Meta:
        model = MatchingRun

    call = factory.SubFactory(CallFactory)
    total_score = 100.0
    upper_bound = 100.0
    optimal = True
    seconds = 0.01


class ProposalFactory(DjangoModelFactory):
    """The chosen pair (rank 0) of a run, not yet published."""

    class Meta:
        model = Proposal

    run = factory.SubFactory(MatchingRunFactory)
    application = factory.SubFactory(
        AcceptedApplicationFactory, call=factory.SelfAttribute("..run.call")
    )
    resource_person = factory.SubFactory(ResourcePersonFactory)
    score = 80.0
    components = factory.LazyFunction(
        lambda: [
            {
                "code": "competence",
                "points": 40,
                "params": {"wanted": 1, "exact": 1, "domain": 0, "level": 3},
            },
            {
                "code": "distance",
                "points": 10,
                "params": {"km": 42, "radius": 100, "remote": False, "remote_only": False},
            },
        ]
    )
    rank = 0
    status = ProposalStatus.PROPOSED


class PairRuleFactory(DjangoModelFactory):
    class Meta:
        model = PairRule

    application = factory.SubFactory(AcceptedApplicationFactory)
    call = factory.SelfAttribute("application.call")
    resource_person = factory.SubFactory(ResourcePersonFactory)
    kind = PairKind.FORBID


class MentorInvitationFactory(DjangoModelFactory):
    """A pending invitation of a published proposal; ``token`` (not stored) gives the link."""

    class Meta:
        model = MentorInvitation
        exclude = ("token",)

    proposal = factory.SubFactory(
        ProposalFactory,
        status=ProposalStatus.PUBLISHED,
        published_at=factory.LazyFunction(timezone.now),
    )
    token = factory.Sequence(lambda n: f"jeton-mise-en-relation-{n:04d}-abcdefghijklmnopqrstuv")
    token_hash = factory.LazyAttribute(lambda o: hashlib.sha256(o.token.encode()).hexdigest())
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.sent_at + datetime.timedelta(days=21))


# --------------------------------------------------------------------------------------------
# privacy: the audit log
# --------------------------------------------------------------------------------------------

from maillage.privacy.models import AuditAction, AuditEvent  # noqa: E402 (section of privacy)


class AuditEventFactory(DjangoModelFactory):
    """An event of the append-only journal (``at`` may be set in the past on creation)."""

    class Meta:
        model = AuditEvent

    at = factory.LazyFunction(timezone.now)
    actor = factory.SubFactory(UserFactory)
    action = AuditAction.LOGIN
    ip = "192.0.2.10"


# --------------------------------------------------------------------------------------------
# core: the e-mail outbox
# --------------------------------------------------------------------------------------------

from maillage.core.models import EmailStatus, OutgoingEmail  # noqa: E402 (section of core)


class OutgoingEmailFactory(DjangoModelFactory):
    """A queued outbox row, due now (no delivery task is enqueued: tests call deliver)."""

    class Meta:
        model = OutgoingEmail

    subject = "Votre candidature"
    body = "Bonjour,\nvotre candidature est bien arrivée.\n"
    to = factory.Sequence(lambda n: [f"destinataire{n}@exemple.invalid"])
    status = EmailStatus.QUEUED
    # Looked up at each call, so that tests freezing timezone.now see their own clock.
    created_at = factory.LazyFunction(lambda: timezone.now())
    next_attempt_at = factory.LazyAttribute(lambda o: o.created_at)
    idempotency_key = factory.Sequence(lambda n: f"test-{n}")


# --------------------------------------------------------------------------------------------
# people: second factor (django-otp devices) and a signed-in, verified test client
# --------------------------------------------------------------------------------------------

from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402 (section of people)
from django_otp.oath import TOTP  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402


class TOTPDeviceFactory(DjangoModelFactory):
    """A confirmed authenticator with a random key; ``totp_code(device)`` gives its code."""

    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(UserFactory)
    name = "authenticator"
    confirmed = True


def totp_code(device: TOTPDevice, *, at: float | None = None, step_offset: int = 0) -> str:
    """The six digits the person's app shows now (or at ``at``, or ``step_offset`` steps on)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if at is not None:
        totp.time = at
    totp.drift += step_offset
    return f"{totp.token():06d}"


def verified_login(client: Any, user: User) -> TOTPDevice:
    """Sign ``user`` in on ``client`` as if they had passed the second factor (for tests run
    with ``settings.MAILLAGE_REQUIRE_2FA = True``); returns their authenticator."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDeviceFactory(user=user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


# --------------------------------------------------------------------------------------------
# transfers and imports: transfers (imported or not) and recorded spreadsheet imports
# --------------------------------------------------------------------------------------------

from maillage.imports.models import ImportKind, ImportRun, ImportStatus  # noqa: E402
from maillage.transfers.models import Transfer, TransferStatus  # noqa: E402 (section of transfers)


class TransferFactory(DjangoModelFactory):
    """A completed platform transfer of two days between a mentee and a resource person of
    other organisations; ``competences=[…]`` links competences."""

    class Meta:
        model = Transfer
        skip_postgeneration_save = True

    mentee = factory.SubFactory(UserFactory, roles=[Role.APPLICANT])
    mentee_organisation = factory.SelfAttribute("mentee.organisation")
    resource_person = factory.SubFactory(ResourcePersonFactory)
    mentor_organisation = factory.SelfAttribute("resource_person.user.organisation")
    start_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=60))
    end_date = factory.LazyAttribute(lambda o: o.start_date + datetime.timedelta(days=7))
    planned_days = Decimal("2.0")
    actual_days = Decimal("2.0")
    format = "immersion"
    status = TransferStatus.COMPLETED
    amount_paid = Decimal("500.00")

    @factory.post_generation
    def competences(
        obj: Any, create: bool, extracted: list[Competence] | None, **kwargs: Any
    ) -> None:
        if create and extracted:
            obj.competences.set(extracted)


class ImportRunFactory(DjangoModelFactory):
    """An applied import of organisations (counts only, no stored file)."""

    class Meta:
        model = ImportRun

    kind = ImportKind.ORGANISATIONS
    status = ImportStatus.APPLIED
    file_name = factory.Sequence(lambda n: f"structures-{n}.csv")
    file_sha256 = factory.Sequence(lambda n: f"{n:064x}")
    file_size = 120
    created_by = factory.SubFactory(UserFactory, roles=[Role.COORDINATOR])
    applied_at = factory.LazyFunction(timezone.now)
    row_count = 3
    created_count = 3
