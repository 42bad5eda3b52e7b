"""Writes on applications: drafts, attachments, the employer's agreement and submission.

Every state change goes through ``_transition``: it locks the row, asks the pure state machine
(``workflow``) whether the action is allowed and writes an ``ApplicationEvent``.
"""

import datetime
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from maillage.calls.models import Call
from maillage.core.emails import queue_templated_email
from maillage.core.tokens import hash_token, new_token
from maillage.organisations.models import Organisation
from maillage.people.models import EmploymentStatus, Role, RoleGrant, User

from . import eligibility, filetypes, revisions, selectors, workflow
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
from .tasks import send_submission_receipt

APPROVAL_VALIDITY = datetime.timedelta(days=30)
REFERENCE_PATTERN = re.compile(r"^TSF-(\d{4})-(\d+)$")


class ApplicationError(Exception):
    """A refused action, with a French message for the applicant."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class CallClosedError(ApplicationError):
    pass


class NotEditableError(ApplicationError):
    pass


def transition_message(code: str) -> str:
    return {
        "submitted": _("Cette candidature est déjà déposée."),
        "not_allowed": _("Cette action n'est pas possible dans l'état actuel de la candidature."),
        "not_employee": _("Seul·e une personne salariée demande l'accord de son employeur."),
        "incomplete": _(
            "Votre candidature est incomplète : complétez les réponses signalées avant de "
            "continuer."
        ),
        "already_approved": _("Votre employeur a déjà donné son accord."),
        "approval_needed": _(
            "Vous êtes salarié·e : demandez d'abord l'accord de votre employeur (étape 7)."
        ),
        "approval_pending": _("Votre employeur n'a pas encore donné son accord."),
        "not_eligible": _(
            "Votre candidature ne respecte pas toutes les règles d'éligibilité : voyez les "
            "explications ci-dessous."
        ),
    }.get(code, _("Action impossible."))


def _record(
    application: Application,
    *,
    actor: User | None,
    from_state: str,
    to_state: str,
    note: str = "",
) -> ApplicationEvent:
    return ApplicationEvent.objects.create(
        application=application,
        at=timezone.now(),
        actor=actor,
        from_state=from_state,
        to_state=to_state,
        note=note,
    )


def _locked(application: Application) -> Application:
    """The row again, locked until the end of the transaction, with what the guards read."""
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("call__programme", "applicant", "organisation__commune__departement")
        .prefetch_related("competences", "organisation__activities")
        .get(pk=application.pk)
    )


def _facts(application: Application, approval: EmployerApproval | None) -> workflow.Facts:
    results = eligibility.evaluate(selectors.eligibility_input(application, approval))
    if application.state == ApplicationState.TO_COMPLETE:
        # The call may have closed since the first submission: a completion is still due.
        results = [r for r in results if r.code != eligibility.CALL_OPEN]
    status = application.declared_status
    return workflow.Facts(
        is_employee=status == EmploymentStatus.EMPLOYEE,
        is_leader=status == EmploymentStatus.LEADER,
        approved=application.employer_approved_at is not None,
        complete=not selectors.missing_answers(application),
        eligible=eligibility.is_eligible(results),
    )


def _transition(
    application: Application,
    action: workflow.Action,
    *,
    actor: User | None,
    note: str = "",
    facts: workflow.Facts | None = None,
) -> tuple[str, str]:
    """Check and apply ``action`` on a locked row; returns (from, to). Raises TransitionError."""
    if facts is None:
        facts = _facts(application, selectors.current_approval(application))
    before = application.state
    after = workflow.next_state(before, action, facts)
    application.state = after
    _record(application, actor=actor, from_state=before, to_state=after, note=note)
    return before, after


def _assert_editable(application: Application) -> None:
    if application.state not in workflow.APPLICANT_EDITABLE:
        raise NotEditableError(
            _(
                "Cette candidature n'est plus un brouillon : reprenez-la en brouillon pour la "
                "modifier."
            ),
            "not_editable",
        )


# --------------------------------------------------------------------------------------------
# Starting and editing a draft
# --------------------------------------------------------------------------------------------


@transaction.atomic
def start_application(user: User, call: Call) -> tuple[Application, bool]:
    """The applicant's application in progress for ``call``, created if needed.

    Returns (application, created). Locking the user row makes a double click create one draft.
    """
    User.objects.select_for_update().filter(pk=user.pk).first()
    RoleGrant.objects.get_or_create(user=user, role=Role.APPLICANT)
    user.__dict__.pop("roles", None)  # ``User.roles`` is cached
    existing = selectors.in_progress_application(user, call.pk)
    if existing is not None:
        return existing, False
    if not call.is_open():
        raise CallClosedError(
            _("Cet appel est fermé : il n'accepte plus de nouvelles candidatures."), "closed"
        )
    application = Application.objects.create(
        call=call,
        applicant=user,
        organisation=user.organisation,
        applicant_job_title=user.job_title,
        applicant_employment_status=user.employment_status,
    )
    _record(
        application,
        actor=user,
        from_state="",
        to_state=ApplicationState.DRAFT,
        note=_("Candidature créée"),
    )
    return application, True


def _save(application: Application, fields: Sequence[str], editor: User | None = None) -> None:
    """Save ``fields`` and bump the version; the step form's editor is the applicant."""
    application.version += 1
    application.last_edited_by_id = editor.pk if editor is not None else application.applicant_id
    application.save(update_fields=[*fields, "version", "last_edited_by", "updated_at"])


@transaction.atomic
def save_applicant(application: Application, data: dict[str, Any]) -> None:
    """Step 1. Also updates the person's profile, reused by their next applications."""
    _assert_editable(application)
    user = application.applicant
    user_fields: list[str] = [f for f in ("first_name", "last_name", "phone") if f in data]
    for name in user_fields:
        setattr(user, name, data[name])
    if "job_title" in data:
        application.applicant_job_title = data["job_title"]
        user.job_title = data["job_title"]
        user_fields.append("job_title")
    if "employment_status" in data:
        application.applicant_employment_status = data["employment_status"]
        user.employment_status = data["employment_status"]
        user_fields.append("employment_status")
    if user_fields:
        user.save(update_fields=user_fields)
    _save(application, ["applicant_job_title", "applicant_employment_status"])


@transaction.atomic
def save_organisation(application: Application, organisation: Organisation | None) -> None:
    """Step 2. The person's profile gets the structure too when it had none."""
    _assert_editable(application)
    application.organisation = organisation
    _save(application, ["organisation"])
    user = application.applicant
    if organisation is not None and user.organisation_id is None:
        user.organisation = organisation
        user.save(update_fields=["organisation"])


@transaction.atomic
def save_need(application: Application, data: dict[str, Any]) -> None:
    """Step 3."""
    _assert_editable(application)
    fields = [f for f in ("need", "expected_results") if f in data]
    for name in fields:
        setattr(application, name, data[name])
    _save(application, fields)
    if "competences" in data:
        application.competences.set(data["competences"])


@transaction.atomic
def save_modalities(application: Application, data: dict[str, Any]) -> None:
    """Step 4. A period is stored only when ordered (the database checks it too)."""
    _assert_editable(application)
    fields = []
    if "formats" in data:
        application.set_formats(data["formats"])
        fields += list(Application.FORMAT_FIELDS.values())
    for name in ("desired_start", "desired_end", "days"):
        if name in data:
            setattr(application, name, data[name])
            fields.append(name)
    start, end = application.desired_start, application.desired_end
    if start and end and end < start:
        application.desired_end = None
        fields.append("desired_end")
    _save(application, sorted(set(fields)))


@transaction.atomic
def save_resource_person(application: Application, data: dict[str, Any]) -> None:
    """Step 5: a person of the directory, or someone outside it, or nobody."""
    _assert_editable(application)
    fields = [
        f
        for f in (
            "proposed_resource_person",
            "proposed_external_name",
            "proposed_external_organisation",
        )
        if f in data
    ]
    for name in fields:
        setattr(application, name, data[name])
    _save(application, fields)


@transaction.atomic
def save_employer(application: Application, data: dict[str, Any]) -> None:
    """Step 7: who signs for the employer (fixed once the agreement is given)."""
    _assert_editable(application)
    if application.state != ApplicationState.DRAFT:
        raise NotEditableError(
            _("L'accord de l'employeur est déjà donné : le signataire ne change plus."),
            "not_editable",
        )
    fields = [f for f in ("employer_signatory_name", "employer_signatory_email") if f in data]
    for name in fields:
        setattr(application, name, data[name])
    _save(application, fields)


# --------------------------------------------------------------------------------------------
# Attachments
# --------------------------------------------------------------------------------------------


@transaction.atomic
def add_attachment(application: Application, uploaded: UploadedFile, kind: str) -> Attachment:
    """Store a checked file under a random name (see ``models.attachment_path``)."""
    _assert_editable(application)
    attachment = Attachment(
        application=application,
        # Kept for display and download only: folders and control characters removed.
        original_name=filetypes.safe_name(uploaded.name or "", kind),
        kind=kind,
        size=uploaded.size or 0,
    )
    attachment.file.save("upload", uploaded, save=False)
    name = attachment.file.name or ""
    try:
        attachment.save()
    except Exception:
        attachment.file.storage.delete(name)
        raise
    return attachment


@transaction.atomic
def delete_attachment(application: Application, attachment: Attachment) -> None:
    _assert_editable(application)
    storage, name = attachment.file.storage, attachment.file.name or ""
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))


# --------------------------------------------------------------------------------------------
# The employer's agreement
# --------------------------------------------------------------------------------------------


def _send_approval_request(
    application: Application, absolute: Callable[[str], str]
) -> EmployerApproval:
    now = timezone.now()
    EmployerApproval.objects.filter(application=application, invalidated_at__isnull=True).exclude(
        decision=EmployerDecision.REFUSED
    ).update(invalidated_at=now)
    token, token_hash = new_token()
    approval = EmployerApproval.objects.create(
        application=application,
        signatory_name=application.employer_signatory_name,
        signatory_email=application.employer_signatory_email,
        token_hash=token_hash,
        sent_at=now,
        expires_at=now + APPROVAL_VALIDITY,
    )
    queue_templated_email(
        "applications/email/employer_request",
        {
            "application": application,
            "applicant": application.applicant,
            "approval": approval,
            "link": absolute(reverse("applications:employer_approval", args=[token])),
        },
        [approval.signatory_email],
    )
    return approval


@transaction.atomic
def request_employer_approval(
    application: Application, actor: User, absolute: Callable[[str], str]
) -> EmployerApproval:
    """draft -> awaiting_employer: e-mail a one-time link to the employer's signatory."""
    application = _locked(application)
    _transition(
        application,
        workflow.Action.REQUEST_APPROVAL,
        actor=actor,
        note=_("Demande d'accord envoyée à %(name)s")
        % {"name": application.employer_signatory_name},
    )
    application.employer_approved_at = None
    _save(application, ["state", "employer_approved_at"])
    return _send_approval_request(application, absolute)


@transaction.atomic
def resend_employer_request(
    application: Application, actor: User, absolute: Callable[[str], str]
) -> EmployerApproval:
    """A new link (the previous one stops working), e.g. after a lost e-mail."""
    application = _locked(application)
    _transition(
        application,
        workflow.Action.RESEND_REQUEST,
        actor=actor,
        note=_("Demande d'accord renvoyée à %(name)s")
        % {"name": application.employer_signatory_name},
    )
    return _send_approval_request(application, absolute)


@transaction.atomic
def reopen(application: Application, actor: User) -> None:
    """awaiting_employer -> draft: the applicant edits again; the agreement must be asked anew."""
    application = _locked(application)
    _transition(
        application,
        workflow.Action.REOPEN,
        actor=actor,
        note=_("Reprise en brouillon par la personne candidate ; la demande d'accord est annulée"),
    )
    application.employer_approved_at = None
    _save(application, ["state", "employer_approved_at"])
    EmployerApproval.objects.filter(
        application=application, invalidated_at__isnull=True, decision=""
    ).update(invalidated_at=timezone.now())


@dataclass(frozen=True)
class ApprovalLink:
    approval: EmployerApproval | None
    # "valid", "unknown", "used", "expired" or "cancelled"
    status: str


def approval_link(token: str, now: datetime.datetime | None = None) -> ApprovalLink:
    now = now or timezone.now()
    approval = selectors.approval_by_token_hash(hash_token(token))
    if approval is None:
        return ApprovalLink(None, "unknown")
    if approval.decision:
        return ApprovalLink(approval, "used")
    if approval.invalidated_at is not None:
        return ApprovalLink(approval, "cancelled")
    if approval.expires_at <= now:
        return ApprovalLink(approval, "expired")
    return ApprovalLink(approval, "valid")


@transaction.atomic
def decide_employer_approval(
    token: str,
    *,
    approve: bool,
    comment: str,
    ip_address: str | None,
    absolute: Callable[[str], str],
) -> ApprovalLink:
    """The employer's answer through the link; usable once (the row is locked while deciding)."""
    link = approval_link(token)
    if link.status != "valid" or link.approval is None:
        return link
    approval = EmployerApproval.objects.select_for_update().get(pk=link.approval.pk)
    if approval.decision or approval.invalidated_at is not None:
        return ApprovalLink(approval, "used")
    application = _locked(approval.application)
    now = timezone.now()
    name = approval.signatory_name
    if approve:
        _transition(
            application,
            workflow.Action.EMPLOYER_APPROVE,
            actor=None,
            note=_("Accord de l'employeur donné par %(name)s") % {"name": name}
            + (f" : {comment}" if comment else ""),
        )
        application.employer_approved_at = now
        template = "applications/email/employer_approved"
    else:
        _transition(
            application,
            workflow.Action.EMPLOYER_REFUSE,
            actor=None,
            note=_("Accord de l'employeur refusé par %(name)s") % {"name": name}
            + (f" : {comment}" if comment else ""),
        )
        application.employer_approved_at = None
        template = "applications/email/employer_refused"
    _save(application, ["state", "employer_approved_at"])
    approval.decision = EmployerDecision.APPROVED if approve else EmployerDecision.REFUSED
    approval.decided_at = now
    approval.comment = comment
    approval.ip_address = ip_address
    approval.save(update_fields=["decision", "decided_at", "comment", "ip_address"])
    queue_templated_email(
        template,
        {
            "application": application,
            "approval": approval,
            "link": absolute(
                reverse("applications:step", args=[application.pk, selectors.LAST_STEP])
                if approve
                else reverse("applications:step", args=[application.pk, 7])
            ),
        },
        [application.applicant.email],
    )
    return ApprovalLink(approval, "decided")


# --------------------------------------------------------------------------------------------
# Submission
# --------------------------------------------------------------------------------------------


def _next_reference(year: int) -> str:
    prefix = f"TSF-{year}-"
    numbers = [
        int(match.group(2))
        for ref in Application.objects.filter(reference__startswith=prefix).values_list(
            "reference", flat=True
        )
        if ref and (match := REFERENCE_PATTERN.match(ref))
    ]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


@dataclass(frozen=True)
class Submission:
    application: Application
    # False when the application was already submitted (a double click): nothing was done.
    created: bool


@transaction.atomic
def submit(application: Application, actor: User) -> Submission:
    """draft (leader) or awaiting_employer with the agreement -> submitted.

    Assigns the next TSF-<year>-<n> reference (retrying if a concurrent submission took it),
    freezes the eligibility, writes the history, and e-mails the PDF receipt after commit.
    """
    application = _locked(application)
    if application.state == ApplicationState.SUBMITTED:
        return Submission(application, created=False)
    approval = selectors.current_approval(application)
    results = eligibility.evaluate(selectors.eligibility_input(application, approval))
    is_leader = application.declared_status == EmploymentStatus.LEADER
    note = _("Candidature déposée")
    if is_leader:
        note = _("Candidature déposée ; accord de la structure donné par sa ou son dirigeant·e")
    _transition(
        application,
        workflow.Action.SUBMIT,
        actor=actor,
        note=note,
        facts=_facts(application, approval),
    )
    now = timezone.now()
    application.submitted_at = now
    if is_leader:
        application.employer_approved_at = now
    application.eligibility_snapshot = [result.as_dict() for result in results]
    application.eligible_at_submission = eligibility.is_eligible(results)
    for _attempt in range(5):
        application.reference = _next_reference(timezone.localdate().year)
        try:
            with transaction.atomic():
                _save(
                    application,
                    [
                        "state",
                        "submitted_at",
                        "employer_approved_at",
                        "reference",
                        "eligibility_snapshot",
                        "eligible_at_submission",
                    ],
                )
            break
        except IntegrityError:
            continue
    else:
        raise ApplicationError(_("Le dépôt a échoué, veuillez réessayer."), "reference")
    _store_revision(application, actor)
    application_id = application.pk
    # robust: the submission is committed by then; failing to enqueue the receipt (e.g. SQLite
    # locked under load) is logged and must not turn the answer into an error page.
    transaction.on_commit(
        lambda: send_submission_receipt.enqueue(application_id=application_id), robust=True
    )
    return Submission(application, created=True)


# --------------------------------------------------------------------------------------------
# Revisions
# --------------------------------------------------------------------------------------------


def _store_revision(application: Application, actor: User | None) -> ApplicationRevision:
    """Snapshot what the applicant gave (called at each submission, inside its transaction)."""
    fresh = (
        Application.objects.select_related(
            "applicant", "organisation__commune", "proposed_resource_person__user"
        )
        .prefetch_related("competences", "attachments")
        .get(pk=application.pk)
    )
    last = (
        ApplicationRevision.objects.filter(application=application)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return ApplicationRevision.objects.create(
        application=application,
        number=(last or 0) + 1,
        created_at=timezone.now(),
        created_by=actor,
        data=revisions.snapshot(fresh),
    )


# --------------------------------------------------------------------------------------------
# Instruction: corrections, review, decisions
# --------------------------------------------------------------------------------------------


def settings_value(name: str, default: str) -> str:
    return str(getattr(settings, name, default) or default)


def _site_absolute(path: str) -> str:
    """An absolute link outside a request (MAILLAGE_SITE_URL, the dev server by default)."""
    return settings_value("MAILLAGE_SITE_URL", "http://127.0.0.1:8000").rstrip("/") + path


def _sync(original: Application, saved: Application) -> None:
    """The caller's instance gets what the service wrote on the locked copy."""
    for name in ("state", "version", "decision_motivation", "decided_at", "updated_at"):
        setattr(original, name, getattr(saved, name))
    original.last_edited_by_id = saved.last_edited_by_id
    original.eligibility_snapshot = saved.eligibility_snapshot
    original.eligible_at_submission = saved.eligible_at_submission


@transaction.atomic
def request_completion(
    application: Application,
    *,
    reason: str,
    actor: User,
    absolute: Callable[[str], str] | None = None,
) -> None:
    """submitted | under_review -> to_complete: the applicant edits and re-submits.

    The reason is kept in the history and e-mailed to the applicant.
    """
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Indiquez ce qu'il faut compléter."), "reason_required")
    original, application = application, _locked(application)
    _transition(application, workflow.Action.REQUEST_COMPLETION, actor=actor, note=reason)
    _save(application, ["state"], editor=actor)
    queue_templated_email(
        "applications/email/to_complete",
        {
            "application": application,
            "reason": reason,
            "link": (absolute or _site_absolute)(
                reverse("applications:detail", args=[application.pk])
            ),
        },
        [application.applicant.email],
    )
    _sync(original, application)


@transaction.atomic
def resubmit(application: Application, *, actor: User) -> None:
    """to_complete -> submitted, once the answers are complete; stores a new revision."""
    original, application = application, _locked(application)
    if application.state == ApplicationState.SUBMITTED:
        # A double click: the concurrent request sent it back first (the row was locked), so
        # this one has nothing left to do, as ``submit`` does for a first submission.
        _sync(original, application)
        return
    facts = _facts(application, selectors.current_approval(application))
    _transition(
        application,
        workflow.Action.RESUBMIT,
        actor=actor,
        note=_("Candidature complétée et déposée à nouveau"),
        facts=facts,
    )
    # The eligibility is frozen again, as at the first submission.
    results = selectors.evaluate(application)
    application.eligibility_snapshot = [result.as_dict() for result in results]
    application.eligible_at_submission = all(
        r.passed for r in results if r.code != eligibility.CALL_OPEN
    )
    _save(application, ["state", "eligibility_snapshot", "eligible_at_submission"], editor=actor)
    _store_revision(application, actor)
    _sync(original, application)


@transaction.atomic
def start_review(application: Application, *, actor: User) -> None:
    """submitted -> under_review."""
    original, application = application, _locked(application)
    _transition(
        application, workflow.Action.START_REVIEW, actor=actor, note=_("Passée en instruction")
    )
    _save(application, ["state"], editor=actor)
    _sync(original, application)


@transaction.atomic
def decide(application: Application, *, outcome: str, motivation: str, actor: User) -> None:
    """A decision: accepted, waitlisted, refused or no_follow_up, with its motivation.

    Allowed from under_review, from waitlisted (except waitlisted again), and submitted or
    to_complete -> no_follow_up. Sends no e-mail: the committee session does, once locked.
    """
    action = workflow.DECISION_ACTIONS.get(outcome)
    original, application = application, _locked(application)
    if action is None:
        raise workflow.TransitionError("unknown_outcome", application.state, outcome)
    motivation = motivation.strip()
    _transition(application, action, actor=actor, note=motivation)
    application.decision_motivation = motivation
    application.decided_at = timezone.now()
    _save(application, ["state", "decision_motivation", "decided_at"], editor=actor)
    _sync(original, application)
    # Imported here: the privacy app reads applications for data downloads and erasure.
    from maillage.privacy.audit import record
    from maillage.privacy.models import AuditAction

    record(AuditAction.DECISION, actor, application, outcome=outcome)


# --------------------------------------------------------------------------------------------
# Coordinators' corrections (optimistic locking)
# --------------------------------------------------------------------------------------------

STAFF_FIELDS = ("days", "desired_start", "desired_end")


class EditConflictError(ApplicationError):
    """The application changed since the form was shown; ``current`` is the saved row."""

    def __init__(self, current: Application) -> None:
        editor = current.last_edited_by
        name = (editor.full_name or editor.email) if editor else _("quelqu'un")
        time = formats.time_format(timezone.localtime(current.updated_at), "H:i")
        super().__init__(
            _(
                "Cette candidature a été modifiée par %(name)s à %(time)s pendant que vous la "
                "modifiiez : vos changements n'ont pas été enregistrés ; les voici pour les "
                "reporter."
            )
            % {"name": name, "time": time},
            "conflict",
        )
        self.current = current


@transaction.atomic
def staff_update(
    application: Application, *, version: int, data: dict[str, Any], actor: User
) -> Application:
    """Coordinators fix days, period, competences and formats, if nobody saved in between.

    The row is locked and its version compared with the one the form was built from; a
    mismatch raises EditConflictError and nothing is written.
    """
    current = (
        Application.objects.select_for_update(of=("self",))
        .select_related("last_edited_by")
        .get(pk=application.pk)
    )
    if current.version != version:
        raise EditConflictError(current)
    if current.state in workflow.DECIDED:
        raise ApplicationError(
            _("Cette candidature est décidée : elle ne se modifie plus."), "decided"
        )
    before = revisions.snapshot(_for_snapshot(current))
    for name in STAFF_FIELDS:
        if name in data:
            setattr(current, name, data[name])
    if "formats" in data:
        current.set_formats(data["formats"])
    _save(current, [*STAFF_FIELDS, *Application.FORMAT_FIELDS.values()], editor=actor)
    if "competences" in data:
        current.competences.set(data["competences"])
    after = revisions.snapshot(_for_snapshot(current))
    changes = revisions.compare(before, after)
    if changes:
        note = _("Corrigée par la coordination : %(changes)s") % {
            "changes": " ; ".join(f"{c.label} : {c.old or '—'} → {c.new or '—'}" for c in changes)
        }
        _record(current, actor=actor, from_state=current.state, to_state=current.state, note=note)
    return current


def _for_snapshot(application: Application) -> Application:
    return (
        Application.objects.select_related(
            "applicant", "organisation__commune", "proposed_resource_person__user"
        )
        .prefetch_related("competences", "attachments")
        .get(pk=application.pk)
    )


# --------------------------------------------------------------------------------------------
# Staff notes and messages
# --------------------------------------------------------------------------------------------


@transaction.atomic
def add_staff_note(application: Application, *, body: str, author: User) -> StaffNote:
    return StaffNote.objects.create(application=application, author=author, body=body.strip())


def coordination_email() -> str:
    return settings_value("MAILLAGE_COORDINATION_EMAIL", "coordination@maillage.invalid")


@transaction.atomic
def send_staff_message(
    application: Application, *, body: str, author: User, absolute: Callable[[str], str]
) -> Message:
    """A coordinator writes to the applicant, who is told by e-mail (with a link)."""
    message = Message.objects.create(
        application=application, author=author, from_staff=True, body=body.strip()
    )
    queue_templated_email(
        "applications/email/message_to_applicant",
        {
            "application": application,
            "message": message,
            "link": absolute(reverse("applications:detail", args=[application.pk])),
        },
        [application.applicant.email],
    )
    return message


@transaction.atomic
def send_applicant_message(
    application: Application, *, body: str, author: User, absolute: Callable[[str], str]
) -> Message:
    """The applicant replies from the platform; the coordination address is told."""
    message = Message.objects.create(
        application=application, author=author, from_staff=False, body=body.strip()
    )
    # Reading the thread marks the coordination's messages as read: the reply shows it.
    Message.objects.filter(application=application, from_staff=True, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    queue_templated_email(
        "applications/email/message_to_coordination",
        {
            "application": application,
            "message": message,
            "link": absolute(_backoffice_path(application)),
        },
        [coordination_email()],
    )
    return message


def _backoffice_path(application: Application) -> str:
    try:
        return reverse("backoffice:detail", args=[application.pk])
    except NoReverseMatch:  # the back office is not mounted: the shared application page
        return reverse("applications:detail", args=[application.pk])


def mark_read(application: Application, *, from_staff: bool) -> int:
    """Messages of the other side become read when a reader opens the thread."""
    unread = Message.objects.filter(
        application=application, from_staff=from_staff, read_at__isnull=True
    )
    # Read first: this runs on every view of the page, and on SQLite an UPDATE takes the
    # database's single write lock even when it changes no row (seen under load).
    if not unread.exists():
        return 0
    return unread.update(read_at=timezone.now())
