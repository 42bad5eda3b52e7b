"""Read-side queries and derived facts (completeness, eligibility) for applications."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from maillage.competences.models import Competence
from maillage.people.models import (
    EmploymentStatus,
    ResourcePerson,
    ResourcePersonCompetence,
    Role,
    User,
)

from . import eligibility
from .models import (
    Application,
    ApplicationEvent,
    ApplicationRevision,
    ApplicationState,
    Attachment,
    EmployerApproval,
    EmployerDecision,
    Message,
    StaffNote,
)
from .suggestions import Candidate, fold, suggest

# Steps of the form: (number, title). Step 8 is the summary and the submission.
STEPS: list[tuple[int, Any]] = [
    (1, _("Vous")),
    (2, _("Votre structure")),
    (3, _("Votre besoin")),
    (4, _("Modalités")),
    (5, _("Personne-ressource")),
    (6, _("Pièces jointes")),
    (7, _("Employeur")),
    (8, _("Récapitulatif et dépôt")),
]
LAST_STEP = len(STEPS)
# How far ahead a transfer may be planned.
HORIZON_DAYS = 548


def applications_of(user: User) -> QuerySet[Application]:
    """An applicant's own applications with their dated history (constant number of queries)."""
    return (
        Application.objects.filter(applicant=user)
        .select_related("call__programme", "organisation", "applicant")
        .prefetch_related(
            "competences",
            Prefetch("events", queryset=ApplicationEvent.objects.order_by("at", "pk")),
        )
        .order_by("-created_at")
    )


def _detailed() -> QuerySet[Application]:
    return Application.objects.select_related(
        "call__programme",
        "applicant",
        "organisation__commune__departement",
        "proposed_resource_person__user__organisation",
        "proposed_resource_person__commune",
    ).prefetch_related(
        "competences",
        "organisation__activities",
        "attachments",
        Prefetch("events", queryset=ApplicationEvent.objects.select_related("actor")),
    )


def own_application(user: User, pk: int) -> Application:
    """The applicant's own application; anyone else's is a 404 (its existence stays hidden)."""
    application = _detailed().filter(pk=pk, applicant=user).first()
    if application is None:
        raise Http404
    return application


def visible_application(user: User, pk: int) -> Application:
    """The applicant's own application, or any submitted one for coordinators and admins."""
    condition = Q(applicant=user)
    if user.has_role(Role.COORDINATOR, Role.ADMIN):
        condition |= ~Q(state=ApplicationState.DRAFT)
    application = _detailed().filter(condition, pk=pk).first()
    if application is None:
        raise Http404
    return application


def visible_attachment(user: User, application_pk: int, pk: int) -> Attachment:
    application = visible_application(user, application_pk)
    attachment = Attachment.objects.filter(application=application, pk=pk).first()
    if attachment is None:
        raise Http404
    return attachment


def in_progress_application(user: User, call_id: int) -> Application | None:
    """The draft (or the application awaiting the employer) of ``user`` for a call."""
    return (
        Application.objects.filter(
            applicant=user,
            call_id=call_id,
            state__in=[ApplicationState.DRAFT, ApplicationState.AWAITING_EMPLOYER],
        )
        .order_by("-created_at")
        .first()
    )


def submitted_for_call(user: User, call_id: int) -> Application | None:
    return (
        Application.objects.filter(
            applicant=user, call_id=call_id, state=ApplicationState.SUBMITTED
        )
        .order_by("-submitted_at")
        .first()
    )


def current_approval(application: Application) -> EmployerApproval | None:
    """The latest request for the employer's agreement that was not cancelled."""
    return (
        EmployerApproval.objects.filter(application=application, invalidated_at__isnull=True)
        .order_by("-sent_at", "-pk")
        .first()
    )


def approval_by_token_hash(token_hash: str) -> EmployerApproval | None:
    return (
        EmployerApproval.objects.select_related(
            "application__call__programme",
            "application__applicant",
            "application__organisation__commune",
        )
        .prefetch_related("application__competences")
        .filter(token_hash=token_hash)
        .first()
    )


# --------------------------------------------------------------------------------------------
# Completeness: the answers a submission needs, with the step where each one is given
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Missing:
    step: int
    message: Any


def is_employee(application: Application) -> bool:
    return application.declared_status == EmploymentStatus.EMPLOYEE


def missing_answers(application: Application, today: datetime.date | None = None) -> list[Missing]:
    today = today or timezone.localdate()
    missing: list[Missing] = []
    applicant = application.applicant
    if not (applicant.first_name and applicant.last_name):
        missing.append(Missing(1, _("Indiquez vos prénom et nom.")))
    if not application.declared_job_title:
        missing.append(Missing(1, _("Indiquez votre poste.")))
    if not application.declared_status:
        missing.append(Missing(1, _("Indiquez votre statut (salarié·e ou dirigeant·e).")))
    if application.organisation_id is None:
        missing.append(Missing(2, _("Choisissez ou créez votre structure.")))
    if not application.need.strip():
        missing.append(Missing(3, _("Décrivez votre besoin.")))
    count = len(application.competences.all())
    if not 1 <= count <= 3:
        missing.append(Missing(3, _("Choisissez de 1 à 3 compétences visées.")))
    if not application.expected_results.strip():
        missing.append(Missing(3, _("Décrivez les résultats attendus.")))
    if not application.formats:
        missing.append(Missing(4, _("Choisissez au moins un format.")))
    if application.desired_start is None or application.desired_end is None:
        missing.append(Missing(4, _("Indiquez la période souhaitée (début et fin).")))
    elif application.desired_start < today:
        missing.append(
            Missing(4, _("La date de début souhaitée est passée : choisissez une nouvelle date."))
        )
    if application.days is None:
        missing.append(Missing(4, _("Indiquez le nombre de jours souhaité.")))
    if is_employee(application) and not (
        application.employer_signatory_name and application.employer_signatory_email
    ):
        missing.append(Missing(7, _("Indiquez la personne qui signe pour votre employeur.")))
    return missing


def incomplete_steps(application: Application) -> set[int]:
    return {item.step for item in missing_answers(application)}


def resume_step(application: Application) -> int:
    """Where "Continuer" takes the applicant: the first step with a missing answer."""
    steps = incomplete_steps(application)
    return min(steps) if steps else LAST_STEP


# --------------------------------------------------------------------------------------------
# Eligibility
# --------------------------------------------------------------------------------------------


def approval_status(application: Application, approval: EmployerApproval | None) -> str:
    if application.state == ApplicationState.SUBMITTED or application.employer_approved_at:
        return eligibility.APPROVAL_APPROVED
    if application.state == ApplicationState.AWAITING_EMPLOYER:
        return eligibility.APPROVAL_PENDING
    if approval is not None and approval.decision == EmployerDecision.REFUSED:
        return eligibility.APPROVAL_REFUSED
    return eligibility.APPROVAL_NOT_REQUESTED


def _mentor_organisation_id(application: Application) -> int | None:
    person = application.proposed_resource_person
    if person is not None:
        return person.user.organisation_id
    external = fold(application.proposed_external_organisation)
    organisation = application.organisation
    if external and organisation is not None and external == fold(organisation.name):
        return organisation.pk
    return None


def eligibility_input(
    application: Application, approval: EmployerApproval | None = None
) -> eligibility.EligibilityInput:
    organisation = application.organisation
    programme = application.call.programme
    return eligibility.EligibilityInput(
        organisation_id=organisation.pk if organisation else None,
        organisation_region_code=(
            organisation.commune.departement.region_code if organisation else None
        ),
        programme_region_code=programme.region_code,
        organisation_activities=frozenset(organisation.activity_codes if organisation else ()),
        employment_status=application.declared_status,
        mentor_organisation_id=_mentor_organisation_id(application),
        days=application.days,
        min_days=programme.min_days_per_transfer,
        max_days=programme.max_days_per_transfer,
        call_open=application.call.is_open(),
        employer_approval=approval_status(application, approval),
    )


def evaluate(application: Application) -> list[eligibility.RuleResult]:
    return eligibility.evaluate(eligibility_input(application, current_approval(application)))


RULE_TITLES = {
    eligibility.REGION: _("Structure située en Occitanie"),
    eligibility.SECTOR: _("Structure du secteur des musiques actuelles"),
    eligibility.STATUS: _("Statut de la personne candidate"),
    eligibility.MENTOR_ORGANISATION: _("Personne-ressource d'une autre structure"),
    eligibility.DAYS: _("Nombre de jours"),
    eligibility.CALL_OPEN: _("Appel ouvert"),
    eligibility.EMPLOYER: _("Accord de l'employeur"),
}

RULE_MESSAGES = {
    (eligibility.REGION, "ok"): _("Votre structure est située dans la région du programme."),
    (eligibility.REGION, "outside"): _(
        "Votre structure n'est pas située en Occitanie : le programme finance les structures "
        "de la région."
    ),
    (eligibility.REGION, "missing"): _("Choisissez d'abord votre structure (étape 2)."),
    (eligibility.SECTOR, "ok"): _("Votre structure a une activité de musiques actuelles."),
    (eligibility.SECTOR, "outside"): _(
        "Aucune des activités de votre structure ne relève des musiques actuelles (salle, "
        "festival, label, studio, production, enseignement, média, réseau)."
    ),
    (eligibility.SECTOR, "missing"): _("Choisissez d'abord votre structure (étape 2)."),
    (eligibility.STATUS, EmploymentStatus.EMPLOYEE.value): _(
        "Vous êtes salarié·e : l'accord de votre employeur est nécessaire."
    ),
    (eligibility.STATUS, EmploymentStatus.LEADER.value): _(
        "Vous êtes dirigeant·e : vous donnez vous-même l'accord de votre structure."
    ),
    (eligibility.STATUS, "other"): _(
        "Le programme s'adresse aux salarié·es et aux dirigeant·es de structures ; les "
        "bénévoles et indépendant·es ne peuvent pas candidater."
    ),
    (eligibility.STATUS, "missing"): _("Indiquez votre statut (étape 1)."),
    (eligibility.MENTOR_ORGANISATION, "none"): _(
        "Vous ne proposez pas de personne-ressource : la coordination vous en proposera une."
    ),
    (eligibility.MENTOR_ORGANISATION, "ok"): _(
        "La personne-ressource proposée travaille dans une autre structure que la vôtre."
    ),
    (eligibility.MENTOR_ORGANISATION, "same"): _(
        "La personne-ressource proposée travaille dans votre structure : le transfert se fait "
        "entre structures différentes (étape 5)."
    ),
    (eligibility.DAYS, "ok"): _(
        "%(days)s jour(s), dans les limites du programme (de %(min)s à %(max)s)."
    ),
    (eligibility.DAYS, "outside"): _(
        "%(days)s jour(s) : le programme finance de %(min)s à %(max)s jours par transfert "
        "(étape 4)."
    ),
    (eligibility.DAYS, "missing"): _(
        "Indiquez le nombre de jours, de %(min)s à %(max)s (étape 4)."
    ),
    (eligibility.CALL_OPEN, "ok"): _("L'appel est ouvert."),
    (eligibility.CALL_OPEN, "closed"): _("L'appel est fermé : il n'accepte plus de candidatures."),
    (eligibility.EMPLOYER, "self"): _("Vous donnez l'accord pour votre structure au dépôt."),
    (eligibility.EMPLOYER, "na"): _("Sans objet pour votre statut."),
    (eligibility.EMPLOYER, eligibility.APPROVAL_APPROVED): _("Votre employeur a donné son accord."),
    (eligibility.EMPLOYER, eligibility.APPROVAL_PENDING): _(
        "La demande d'accord est envoyée : votre employeur n'a pas encore répondu."
    ),
    (eligibility.EMPLOYER, eligibility.APPROVAL_REFUSED): _(
        "Votre employeur a refusé : modifiez votre candidature puis renouvelez la demande "
        "(étape 7)."
    ),
    (eligibility.EMPLOYER, eligibility.APPROVAL_NOT_REQUESTED): _(
        "Demandez l'accord de votre employeur (étape 7)."
    ),
}

# Listed for the translators' context: "passed"/"failed" badges.
PASSED_LABEL = pgettext_lazy("eligibility", "Respecté")
FAILED_LABEL = pgettext_lazy("eligibility", "Non respecté")


@dataclass(frozen=True)
class Explanation:
    code: str
    passed: bool
    title: Any
    message: str


def explain(results: list[dict[str, Any]] | list[eligibility.RuleResult]) -> list[Explanation]:
    """Titles and French (or English) sentences for rule results or a stored snapshot."""
    rows = []
    for result in results:
        data = result.as_dict() if isinstance(result, eligibility.RuleResult) else dict(result)
        code, reason = str(data["code"]), str(data["reason"])
        template = RULE_MESSAGES.get((code, reason))
        params = {k: v for k, v in data.items() if k not in {"code", "passed", "reason"}}
        message = str(template) % params if template is not None else reason
        rows.append(Explanation(code, bool(data["passed"]), RULE_TITLES.get(code, code), message))
    return rows


# --------------------------------------------------------------------------------------------
# Competence suggestions and the resource-person picker
# --------------------------------------------------------------------------------------------


def suggested_competences(text: str, exclude: set[int], limit: int = 5) -> list[Competence]:
    if len(fold(text)) < 3:
        return []
    competences = list(
        Competence.objects.filter(is_active=True)
        .select_related("domain")
        .order_by("domain__position", "position", "code")
    )
    by_id = {c.pk: c for c in competences}
    candidates = [
        Candidate(c.pk, c.label_fr, tuple(c.keywords.split("\n")), i)
        for i, c in enumerate(competences)
        if c.pk not in exclude
    ]
    return [by_id[c.id] for c in suggest(text, candidates, limit)]


def competences_by_ids(ids: list[int]) -> list[Competence]:
    return list(Competence.objects.filter(pk__in=ids, is_active=True).select_related("domain"))


def search_competences(query: str, exclude: set[int], limit: int = 8) -> list[Competence]:
    query = query.strip()
    if len(query) < 2:
        return []
    return list(
        Competence.objects.filter(is_active=True)
        .filter(
            Q(label_fr__icontains=query)
            | Q(label_en__icontains=query)
            | Q(keywords__icontains=query)
        )
        .exclude(pk__in=exclude)
        .select_related("domain")
        .order_by("domain__position", "position")[:limit]
    )


def listed_resource_persons() -> QuerySet[ResourcePerson]:
    return (
        ResourcePerson.objects.listed()
        .select_related("user__organisation", "commune__departement")
        .prefetch_related(
            Prefetch(
                "competence_links",
                queryset=ResourcePersonCompetence.objects.select_related("competence"),
            )
        )
    )


def search_resource_persons(
    query: str, exclude_user: User | None = None, limit: int = 10
) -> list[ResourcePerson]:
    """Listed resource persons by name (when they show it) or competence."""
    query = query.strip()
    if len(query) < 2:
        return []
    words = query.split()
    qs = listed_resource_persons()
    for word in words:
        qs = qs.filter(
            (
                Q(consent_show_name=True)
                & (Q(user__first_name__icontains=word) | Q(user__last_name__icontains=word))
            )
            | Q(competences__label_fr__icontains=word)
            | Q(competences__keywords__icontains=word)
            | (Q(consent_show_organisation=True) & Q(user__organisation__name__icontains=word))
        )
    if exclude_user is not None:
        qs = qs.exclude(user=exclude_user)
    ids = list(qs.values_list("pk", flat=True).distinct()[: limit * 3])
    return list(listed_resource_persons().filter(pk__in=ids)[:limit])


# --------------------------------------------------------------------------------------------
# Back office (coordination)
# --------------------------------------------------------------------------------------------

# Not yet submitted: the applicant's own work, outside the back office.
BACKOFFICE_STATES = [
    state
    for state in ApplicationState
    if state not in (ApplicationState.DRAFT, ApplicationState.AWAITING_EMPLOYER)
]
SORTS: dict[str, tuple[str, ...]] = {
    "depot": ("submitted_at", "pk"),
    "-depot": ("-submitted_at", "-pk"),
    "reference": ("reference", "pk"),
    "-reference": ("-reference", "-pk"),
    "structure": ("organisation__name", "pk"),
    "-structure": ("-organisation__name", "-pk"),
    "jours": ("days", "pk"),
    "-jours": ("-days", "-pk"),
    "departement": ("organisation__commune__departement_id", "pk"),
    "-departement": ("-organisation__commune__departement_id", "-pk"),
}
DEFAULT_SORT = "-depot"


def review_installed() -> bool:
    from django.apps import apps

    return apps.is_installed("maillage.review")


@dataclass(frozen=True)
class BackofficeFilters:
    """The back office's filters, already validated (see ``forms.BackofficeFilterForm``)."""

    call_id: int | None = None
    state: str = ""
    departement: str = ""
    domain_id: int | None = None
    format: str = ""
    eligible: bool | None = None
    reviewer_id: int | None = None
    query: str = ""
    sort: str = DEFAULT_SORT
    ids: tuple[int, ...] = ()


def backoffice_applications(filters: BackofficeFilters) -> QuerySet[Application]:
    """Submitted applications matching the filters, with what the list shows prefetched.

    Filters on many-to-many relations go through ``pk__in`` subqueries, so rows are never
    duplicated and the count stays exact.
    """
    qs = Application.objects.filter(state__in=BACKOFFICE_STATES)
    if filters.call_id is not None:
        qs = qs.filter(call_id=filters.call_id)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.departement:
        qs = qs.filter(organisation__commune__departement_id=filters.departement)
    if filters.domain_id is not None:
        qs = qs.filter(
            pk__in=Application.competences.through.objects.filter(
                competence__domain_id=filters.domain_id
            ).values("application_id")
        )
    if filters.format:
        field = {str(k): v for k, v in Application.FORMAT_FIELDS.items()}.get(filters.format)
        if field:
            qs = qs.filter(**{field: True})
    if filters.eligible is not None:
        qs = qs.filter(eligible_at_submission=filters.eligible)
    if filters.reviewer_id is not None and review_installed():
        qs = qs.filter(
            pk__in=Application.objects.filter(
                review_assignments__reviewer_id=filters.reviewer_id
            ).values("pk")
        )
    if filters.ids:
        qs = qs.filter(pk__in=filters.ids)
    query = filters.query.strip()
    if query:
        for word in query.split():
            qs = qs.filter(
                Q(reference__icontains=word)
                | Q(applicant__first_name__icontains=word)
                | Q(applicant__last_name__icontains=word)
                | Q(organisation__name__icontains=word)
                | Q(need__icontains=word)
            )
    order = SORTS.get(filters.sort, SORTS[DEFAULT_SORT])
    return qs.order_by(*order)


def with_list_relations(qs: QuerySet[Application]) -> QuerySet[Application]:
    return qs.select_related(
        "call", "applicant", "organisation__commune__departement"
    ).prefetch_related("competences__domain")


def state_counts(call_id: int | None) -> list[dict[str, Any]]:
    """Counts per back-office state for a call, zeros included, in the state machine's order."""
    from django.db.models import Count

    qs = Application.objects.filter(state__in=BACKOFFICE_STATES)
    if call_id is not None:
        qs = qs.filter(call_id=call_id)
    counts = dict(qs.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    return [
        {"state": state.value, "label": state.label, "count": counts.get(state.value, 0)}
        for state in BACKOFFICE_STATES
    ]


def reviewer_choices() -> list[tuple[int, str]]:
    """Committee members who hold at least one assignment (empty without the review app)."""
    if not review_installed():
        return []
    users = (
        User.objects.filter(review_assignments__isnull=False)
        .distinct()
        .order_by("last_name", "first_name")
    )
    return [(u.pk, u.full_name or u.email) for u in users]


def staff_application(pk: int) -> Application:
    """Any submitted application, with everything the staff page shows; drafts are 404."""
    application = (
        _detailed()
        .select_related("last_edited_by")
        .prefetch_related(
            Prefetch(
                "staff_notes", queryset=StaffNote.objects.select_related("author").order_by("-pk")
            ),
            Prefetch("messages", queryset=Message.objects.select_related("author")),
            Prefetch(
                "revisions",
                queryset=ApplicationRevision.objects.only(
                    "pk", "application_id", "number", "created_at", "created_by_id"
                ),
            ),
        )
        .filter(pk=pk, state__in=BACKOFFICE_STATES)
        .first()
    )
    if application is None:
        raise Http404
    return application


def revision_pair(
    application: Application, old: int | None, new: int | None
) -> tuple[ApplicationRevision | None, ApplicationRevision | None, list[ApplicationRevision]]:
    """Two revisions to compare (by default the last two) and the list of all of them."""
    revisions = list(
        ApplicationRevision.objects.filter(application=application)
        .select_related("created_by")
        .order_by("number")
    )
    by_number = {r.number: r for r in revisions}
    if new is None or new not in by_number:
        new = revisions[-1].number if revisions else None
    if old is None or old not in by_number:
        old = (new - 1) if new is not None and new - 1 in by_number else new
    return (
        by_number.get(old) if old is not None else None,
        by_number.get(new) if new is not None else None,
        revisions,
    )


def own_messages(application: Application) -> list[Message]:
    return list(
        Message.objects.filter(application=application)
        .select_related("author")
        .order_by("created_at", "pk")
    )


def completion_reason(application: Application) -> str:
    """Why the coordination sent the application back (the last "à compléter" event)."""
    event = (
        ApplicationEvent.objects.filter(
            application=application, to_state=ApplicationState.TO_COMPLETE
        )
        .order_by("-at", "-pk")
        .first()
    )
    return event.note if event is not None else ""
