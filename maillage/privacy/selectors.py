"""Reads of the privacy app: one person's data (right of access, art. 15 and 20 RGPD) and
the audit journal."""

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from maillage.applications.models import (
    Application,
    ApplicationEvent,
    Attachment,
    EmployerApproval,
)
from maillage.competences.models import Competence
from maillage.people.models import ResourcePerson, User

from .models import AuditAction, AuditEvent

EXPORT_FORMAT_VERSION = 1
ACCOUNT_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "job_title",
    "employment_status",
    "gender",
    "date_joined",
    "last_login",
    "is_active",
)
RESOURCE_PERSON_FIELDS = (
    "years_of_experience",
    "summary",
    "days_per_year",
    "available_months",
    "travel_radius_km",
    "accepts_matching",
    "status",
    "validated_at",
    "format_immersion",
    "format_on_site",
    "format_remote",
    "format_mixed",
    "created_at",
    "updated_at",
)
CONSENT_FIELDS = (
    "consent_directory",
    "consent_show_name",
    "consent_show_organisation",
    "consent_show_job",
    "consent_show_summary",
    "consent_show_commune",
)
APPLICATION_FIELDS = (
    "reference",
    "state",
    "need",
    "expected_results",
    "desired_start",
    "desired_end",
    "days",
    "format_immersion",
    "format_on_site",
    "format_remote",
    "format_mixed",
    "proposed_external_name",
    "proposed_external_organisation",
    "applicant_job_title",
    "applicant_employment_status",
    "employer_signatory_name",
    "employer_signatory_email",
    "employer_approved_at",
    "submitted_at",
    "eligibility_snapshot",
    "decision_motivation",
    "decided_at",
    "created_at",
    "updated_at",
)


def _fields(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def _organisation(organisation: Any) -> dict[str, Any] | None:
    if organisation is None:
        return None
    return {
        "name": organisation.name,
        "siret": organisation.siret,
        "legal_form": organisation.legal_form,
        "commune": organisation.commune.name,
        "departement": organisation.commune.departement_id,
        "website": organisation.website,
    }


def _competence(competence: Any) -> dict[str, Any]:
    return {"code": competence.code, "label": competence.label_fr}


def _resource_person(user: User) -> dict[str, Any] | None:
    person = (
        ResourcePerson.objects.filter(user=user)
        .select_related("commune")
        .prefetch_related("competence_links__competence")
        .first()
    )
    if person is None:
        return None
    data = _fields(person, RESOURCE_PERSON_FIELDS)
    data["commune"] = person.commune.name
    data["competences"] = [
        {**_competence(link.competence), "level": link.level, "description": link.description}
        for link in person.competence_links.all()
    ]
    data["proposals"] = _proposals(person)
    return data


def _proposals(person: ResourcePerson) -> list[dict[str, Any]]:
    """Matching proposals naming this person: the need is the mentee's, so only its reference
    and call are given, with the score's detail and the person's own answers."""
    from maillage.pairing.models import Proposal

    proposals = (
        Proposal.objects.filter(resource_person=person)
        .select_related("application__call")
        .prefetch_related("invitations")
        .order_by("pk")
    )
    return [
        {
            "application_reference": proposal.application.reference,
            "call": proposal.application.call.title,
            "score": proposal.score,
            "score_details": proposal.components,
            "rank": proposal.rank,
            "status": proposal.status,
            "published_at": proposal.published_at,
            "invitations": [
                {
                    "sent_at": invitation.sent_at,
                    "expires_at": invitation.expires_at,
                    "decision": invitation.decision,
                    "decided_at": invitation.decided_at,
                    "comment": invitation.comment,
                }
                for invitation in proposal.invitations.all()
            ],
        }
        for proposal in proposals
    ]


def attachment_arcname(attachment: Attachment) -> str:
    """Where an attachment goes in the archive: readable, unique, no path tricks."""
    safe = re.sub(r"[^\w.\- ]", "_", attachment.original_name).strip(" .") or "document"
    return f"attachments/{attachment.application_id}/{attachment.pk}-{safe}"


def _reviews_about(application: Application) -> list[dict[str, Any]]:
    """Submitted committee reviews of the application: scores and comments are personal data
    about the applicant (art. 15); reviewers' identities are not given (docs/privacy.md)."""
    reviews = []
    submitted = [a for a in application.review_assignments.all() if a.submitted_at is not None]
    for number, assignment in enumerate(submitted, start=1):
        reviews.append(
            {
                "review": number,
                "submitted_at": assignment.submitted_at,
                "overall_comment": assignment.overall_comment,
                "scores": [
                    {
                        "criterion": score.criterion.label,
                        "value": score.value,
                        "scale_max": score.criterion.scale_max,
                        "comment": score.comment,
                    }
                    for score in assignment.scores.all()
                ],
            }
        )
    return reviews


def _applications(user: User) -> list[dict[str, Any]]:
    applications = (
        Application.objects.filter(applicant=user)
        .select_related("call", "organisation__commune")
        .prefetch_related(
            "competences",
            Prefetch("events", queryset=ApplicationEvent.objects.order_by("at", "pk")),
            "revisions",
            "messages",
            "attachments",
            Prefetch("employer_approvals", queryset=EmployerApproval.objects.order_by("sent_at")),
            "review_assignments__scores__criterion",
        )
        .order_by("created_at", "pk")
    )
    result = []
    for application in applications:
        data = _fields(application, APPLICATION_FIELDS)
        data["call"] = application.call.title
        data["organisation"] = _organisation(application.organisation)
        data["competences"] = [_competence(c) for c in application.competences.all()]
        data["proposed_resource_person_id"] = application.proposed_resource_person_id
        data["history"] = [
            {
                "at": event.at,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "note": event.note,
                "by_you": event.actor_id == user.pk,
            }
            for event in application.events.all()
        ]
        data["revisions"] = [
            {"number": r.number, "created_at": r.created_at, "data": r.data}
            for r in application.revisions.all()
        ]
        data["messages"] = [
            {
                "created_at": m.created_at,
                "from_coordination": m.from_staff,
                "body": m.body,
                "read_at": m.read_at,
            }
            for m in application.messages.all()
        ]
        data["attachments"] = [
            {
                "name": a.original_name,
                "kind": a.kind,
                "size": a.size,
                "uploaded_at": a.uploaded_at,
                "file_in_archive": attachment_arcname(a),
            }
            for a in application.attachments.all()
        ]
        data["employer_approvals"] = [
            {
                "signatory_name": a.signatory_name,
                "signatory_email": a.signatory_email,
                "sent_at": a.sent_at,
                "expires_at": a.expires_at,
                "invalidated_at": a.invalidated_at,
                "decision": a.decision,
                "decided_at": a.decided_at,
                "comment": a.comment,
            }
            for a in application.employer_approvals.all()
        ]
        data["committee_reviews"] = _reviews_about(application)
        result.append(data)
    return result


def _reviews_written(user: User) -> list[dict[str, Any]]:
    from maillage.review.models import ReviewAssignment

    assignments = (
        ReviewAssignment.objects.filter(reviewer=user)
        .select_related("application", "conflict_declaration")
        .prefetch_related("scores__criterion")
        .order_by("assigned_at", "pk")
    )
    result = []
    for assignment in assignments:
        declaration = getattr(assignment, "conflict_declaration", None)
        result.append(
            {
                "application_reference": assignment.application.reference,
                "assigned_at": assignment.assigned_at,
                "conflict_declaration": None
                if declaration is None
                else {"kind": declaration.kind, "note": declaration.note},
                "submitted_at": assignment.submitted_at,
                "overall_comment": assignment.overall_comment,
                "scores": [
                    {"criterion": s.criterion.label, "value": s.value, "comment": s.comment}
                    for s in assignment.scores.all()
                ],
            }
        )
    return result


def _transfers(user: User, person: ResourcePerson | None) -> list[dict[str, Any]]:
    """Transfers the person took part in, as mentee or as resource person (imported ones
    too): dates, days, format, status, the organisations and the amount paid to the
    resource person's organisation. The other party is named by role only."""
    from maillage.transfers.models import Transfer

    as_mentor = Q(resource_person=person) if person is not None else Q(pk__in=[])
    transfers = (
        Transfer.objects.filter(Q(mentee=user) | as_mentor)
        .select_related("mentee_organisation__commune", "mentor_organisation__commune")
        .prefetch_related(Prefetch("competences", queryset=Competence.objects.order_by("code")))
        .order_by("start_date", "pk")
    )
    return [
        {
            "role": "mentee" if transfer.mentee_id == user.pk else "resource_person",
            **_fields(
                transfer,
                (
                    "reference",
                    "start_date",
                    "end_date",
                    "planned_days",
                    "actual_days",
                    "format",
                    "status",
                    "amount_paid",
                    "source",
                ),
            ),
            "mentee_organisation": _organisation(transfer.mentee_organisation),
            "mentor_organisation": _organisation(transfer.mentor_organisation),
            "competences": [_competence(c) for c in transfer.competences.all()],
        }
        for transfer in transfers
    ]


def personal_data(user: User, now: datetime.datetime | None = None) -> dict[str, Any]:
    """Everything the platform holds about ``user`` that they may receive (see
    docs/privacy.md, "Right of access"): not the coordination's internal notes."""
    user = User.objects.select_related("organisation__commune").get(pk=user.pk)
    person = ResourcePerson.objects.filter(user=user).first()
    consents = None
    if person is not None:
        consents = {
            **_fields(person, CONSENT_FIELDS),
            "consent_updated_at": person.consent_updated_at,
        }
    return {
        "format_version": EXPORT_FORMAT_VERSION,
        "generated_at": now or timezone.now(),
        "account": _fields(user, ACCOUNT_FIELDS),
        "roles": [
            {"role": grant.role, "granted_at": grant.granted_at} for grant in user.role_grants.all()
        ],
        "organisation": _organisation(user.organisation),
        "resource_person": _resource_person(user),
        "consents": consents,
        "applications": _applications(user),
        "reviews_written": _reviews_written(user),
        "transfers": _transfers(user, person),
        "security_log": [
            {"at": event.at, "action": event.action, "ip": event.ip}
            for event in AuditEvent.objects.filter(actor=user).order_by("at", "pk")
        ],
    }


def attachments_of(user: User) -> QuerySet[Attachment]:
    return Attachment.objects.filter(application__applicant=user).order_by("pk")


# --------------------------------------------------------------------------------------------
# The journal (administration)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JournalFilters:
    action: str = ""
    actor: str = ""
    since: datetime.date | None = None
    until: datetime.date | None = None


def journal(filters: JournalFilters) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor").order_by("-at", "-pk")
    if filters.action in AuditAction.values:
        events = events.filter(action=filters.action)
    if filters.actor:
        events = events.filter(actor__email__icontains=filters.actor)
    if filters.since:
        events = events.filter(at__date__gte=filters.since)
    if filters.until:
        events = events.filter(at__date__lte=filters.until)
    return events
