"""Writes of the privacy app: the data archive (right of access and portability), erasure
(right to erasure, with what the programme keeps for funders' statistics anonymised) and the
retention purge. What is kept and why: docs/privacy.md."""

import datetime
import json
import zipfile
from dataclasses import asdict, dataclass, field
from typing import IO, Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from maillage.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationRevision,
    ApplicationState,
    Attachment,
    EmployerApproval,
    Message,
    StaffNote,
)
from maillage.core.emails import forget_recipient, queue_templated_email
from maillage.people.models import ResourcePerson, ResourcePersonCompetence, User, ValidationStatus

from . import selectors
from .audit import record
from .models import AuditAction, AuditEvent

# Kept in required text columns (a check constraint wants a need beyond the draft, a refusal
# wants a motivation): says plainly that the content was erased.
ERASED_TEXT = "[contenu effacé]"
ANONYMOUS_DOMAIN = "maillage.invalid"
# The database refuses to delete audit events younger than this (migration 0002).
AUDIT_MIN_RETENTION_DAYS = 365


def anonymous_email(user_id: int) -> str:
    return f"anonyme-{user_id}@{ANONYMOUS_DOMAIN}"


# --------------------------------------------------------------------------------------------
# Right of access: the archive
# --------------------------------------------------------------------------------------------


def write_data_archive(user: User, out: IO[bytes], *, ip: str | None = None) -> int:
    """Write the zip (data.json + attachments/) to ``out``; returns the number of files."""
    data = selectors.personal_data(user)
    attachments = list(selectors.attachments_of(user))
    missing = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for attachment in attachments:
            try:
                with attachment.file.open("rb") as source:
                    archive.writestr(selectors.attachment_arcname(attachment), source.read())
            except FileNotFoundError:
                missing.append(attachment.original_name)
        data["missing_attachment_files"] = missing
        archive.writestr(
            "data.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        )
    record(
        AuditAction.DATA_DOWNLOAD,
        user,
        user,
        ip=ip,
        attachments=len(attachments) - len(missing),
    )
    return len(attachments) - len(missing) + 1


# --------------------------------------------------------------------------------------------
# Anonymising applications (erasure and retention share it)
# --------------------------------------------------------------------------------------------


def _delete_files_after_commit(names: list[str]) -> None:
    """Files go once the rows are gone for good: a rollback must not leave rows without files."""

    def delete() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete)


def _drop_attachments(attachments: QuerySet[Attachment]) -> int:
    names = [name for name in attachments.values_list("file", flat=True) if name]
    count = attachments.count()
    attachments.delete()
    _delete_files_after_commit(names)
    return count


def _delete_applications(applications: QuerySet[Application]) -> tuple[int, int]:
    """Delete applications with everything attached (files included): (applications, files)."""
    ids = list(applications.values_list("pk", flat=True))
    files = _drop_attachments(Attachment.objects.filter(application_id__in=ids))
    Application.objects.filter(pk__in=ids).delete()
    return len(ids), files


def anonymise_applications(ids: list[int]) -> int:
    """Remove free texts, third parties' names, attachments, messages, notes and revisions of
    the applications; keep what statistics need (call, state, days, competences, formats,
    organisation and thus département, dates, scores). Returns the number of files deleted."""
    from maillage.pairing.models import MentorInvitation
    from maillage.review.models import ConflictDeclaration, ReviewAssignment, Score, SessionItem

    applications = Application.objects.filter(pk__in=ids)
    applications.update(
        need=ERASED_TEXT,
        expected_results="",
        proposed_external_name="",
        proposed_external_organisation="",
        applicant_job_title="",
        employer_signatory_name="",
        employer_signatory_email="",
        decision_motivation="",
        updated_at=timezone.now(),
    )
    ApplicationEvent.objects.filter(application_id__in=ids).exclude(note="").update(note="")
    ApplicationRevision.objects.filter(application_id__in=ids).delete()
    Message.objects.filter(application_id__in=ids).delete()
    StaffNote.objects.filter(application_id__in=ids).delete()
    EmployerApproval.objects.filter(application_id__in=ids).update(
        signatory_name="", signatory_email="", comment="", ip_address=None
    )
    ReviewAssignment.objects.filter(application_id__in=ids).update(overall_comment="")
    Score.objects.filter(assignment__application_id__in=ids).update(comment="")
    declarations = ConflictDeclaration.objects.filter(assignment__application_id__in=ids)
    declarations.filter(kind="other").update(note=ERASED_TEXT)
    declarations.exclude(kind="other").update(note="")
    items = SessionItem.objects.filter(application_id__in=ids)
    items.filter(decision="refused").update(motivation=ERASED_TEXT)
    items.exclude(decision="refused").update(motivation="")
    MentorInvitation.objects.filter(proposal__application_id__in=ids).update(comment="")
    return _drop_attachments(Attachment.objects.filter(application_id__in=ids))


# --------------------------------------------------------------------------------------------
# Right to erasure
# --------------------------------------------------------------------------------------------


@dataclass
class ErasureReport:
    user_id: int
    drafts_deleted: int = 0
    applications_anonymised: int = 0
    files_deleted: int = 0
    resource_profile: str = "none"  # "none", "deleted" or "anonymised"
    sessions_ended: int = 0
    second_factor_devices_deleted: int = 0
    task_results_deleted: int = 0


def _end_sessions(user_id: int) -> int:
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            session.delete()
            ended += 1
    return ended


def _delete_second_factor_and_login_attempts(user: User, email: str) -> int:
    """TOTP secrets, recovery codes and the throttling rows that keep the typed address."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    deleted = TOTPDevice.objects.filter(user=user).delete()[0]
    deleted += StaticDevice.objects.filter(user=user).delete()[0]
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username__iexact=email).delete()
    return deleted


def _task_results_mentioning(email: str) -> int:
    """Finished background tasks keep their arguments (e-mail bodies and addresses)."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is a dependency
        return 0
    results = (
        DBTaskResult.objects.annotate(text=Cast("args_kwargs", CharField()))
        .filter(text__icontains=email)
        .filter(status__in=["SUCCESSFUL", "FAILED"])
    )
    return results.delete()[0]


def _erase_resource_profile(user: User) -> str:
    from maillage.pairing.models import MentorInvitation, ProposalStatus

    person = ResourcePerson.objects.filter(user=user).first()
    if person is None:
        return "none"
    if (
        not person.proposals.filter(status=ProposalStatus.ACCEPTED).exists()
        and not person.transfers.exists()
    ):
        # Its proposals, pair rules and index rows go with it.
        person.delete()
        return "deleted"
    # An agreed or recorded transfer (imported ones included) is a funded action the
    # programme reports on: the profile stays, emptied of everything personal and out of
    # the directory and of matching, so that the observatory still counts it where it was.
    ResourcePersonCompetence.objects.filter(resource_person=person).update(description="")
    MentorInvitation.objects.filter(proposal__resource_person=person).update(comment="")
    person.summary = ""
    person.available_months = []
    person.accepts_matching = False
    person.status = ValidationStatus.SUSPENDED
    for name in selectors.CONSENT_FIELDS:
        setattr(person, name, False)
    person.consent_updated_at = timezone.now()
    person.save()
    return "anonymised"


def erase_account(user: User, *, actor: User | None = None, ip: str | None = None) -> ErasureReport:
    """Erase a person: drafts and attachments deleted, applications beyond the draft kept
    anonymised for funders' statistics, resource-person profile deleted, account deactivated
    under an anonymous address with an unusable password, sessions ended."""
    report = ErasureReport(user_id=user.pk)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        old_email = user.email
        first_name = user.first_name
        owned = Application.objects.filter(applicant=user)
        drafts = owned.filter(state=ApplicationState.DRAFT)
        report.drafts_deleted, files = _delete_applications(drafts)
        kept = list(owned.values_list("pk", flat=True))
        # The application keeps the declared status (salarié·e / dirigeant·e) for statistics.
        owned.filter(applicant_employment_status="").update(
            applicant_employment_status=user.employment_status
        )
        report.files_deleted = files + anonymise_applications(kept)
        report.applications_anonymised = len(kept)
        report.resource_profile = _erase_resource_profile(user)

        user.email = anonymous_email(user.pk)
        user.first_name = "Anonyme"
        user.last_name = str(user.pk)
        user.phone = ""
        user.job_title = ""
        user.gender = ""
        user.employment_status = ""
        user.organisation = None
        user.is_active = False
        user.is_staff = False
        user.is_superuser = False
        user.last_login = None
        user.set_unusable_password()
        user.save()
        user.role_grants.all().delete()
        user.groups.clear()
        user.user_permissions.clear()
        report.sessions_ended = _end_sessions(user.pk)
        report.second_factor_devices_deleted = _delete_second_factor_and_login_attempts(
            user, old_email
        )
        report.task_results_deleted = _task_results_mentioning(old_email)
        forget_recipient(old_email)
        record(
            AuditAction.ERASURE,
            actor if actor is not None and actor.pk != user.pk else None,
            user,
            ip=ip,
            by_self=actor is None or actor.pk == user.pk,
            drafts_deleted=report.drafts_deleted,
            applications_anonymised=report.applications_anonymised,
            files_deleted=report.files_deleted,
            resource_profile=report.resource_profile,
        )
        queue_templated_email(
            "privacy/email/erasure",
            {"first_name": first_name, "coordination_email": settings.MAILLAGE_COORDINATION_EMAIL},
            [old_email],
        )
    return report


# --------------------------------------------------------------------------------------------
# Retention
# --------------------------------------------------------------------------------------------


def _delete_expired_login_attempts(now: datetime.datetime) -> int:
    """Throttling rows keep typed addresses: once the lock-out period is over they serve
    nothing (the audit log keeps the security trace)."""
    from axes.models import AccessAttempt, AccessFailureLog

    cutoff = now - (settings.AXES_COOLOFF_TIME or datetime.timedelta(days=1))
    deleted = AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()[0]
    return deleted + AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()[0]


def retention_days() -> dict[str, int]:
    return {
        "applications": int(getattr(settings, "MAILLAGE_RETENTION_DAYS_APPLICATIONS", 730)),
        "audit": max(
            int(getattr(settings, "MAILLAGE_RETENTION_DAYS_AUDIT", 365)), AUDIT_MIN_RETENTION_DAYS
        ),
        "tasks": int(getattr(settings, "MAILLAGE_RETENTION_DAYS_TASKS", 365)),
    }


@dataclass
class PurgeReport:
    applications_anonymised: int = 0
    drafts_deleted: int = 0
    files_deleted: int = 0
    audit_events_deleted: int = 0
    task_results_deleted: int = 0
    sessions_deleted: int = 0
    login_attempts_deleted: int = 0
    cutoffs: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _delete_old_audit_events(cutoff: datetime.datetime) -> int:
    """The only deletion of audit events: raw SQL, since the ORM refuses it, and the
    database trigger still refuses rows younger than 365 days."""
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE at < %s",  # noqa: S608 (table name is ours)
            [connection.ops.adapt_datetimefield_value(cutoff)],
        )
        return cursor.rowcount


def purge_expired(now: datetime.datetime | None = None) -> PurgeReport:
    """Anonymise applications refused or closed without follow-up, delete drafts and
    applications left waiting for the employer, older than the retention period; delete old
    audit events, finished task results and expired sessions."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    days = retention_days()
    report = PurgeReport()
    app_cutoff = now - datetime.timedelta(days=days["applications"])
    # The database's trigger judges age by the real clock: never ask it for younger rows.
    audit_cutoff = min(
        now - datetime.timedelta(days=days["audit"]),
        timezone.now() - datetime.timedelta(days=AUDIT_MIN_RETENTION_DAYS, minutes=5),
    )
    task_cutoff = now - datetime.timedelta(days=days["tasks"])
    report.cutoffs = {
        "applications": app_cutoff.isoformat(),
        "audit": audit_cutoff.isoformat(),
        "tasks": task_cutoff.isoformat(),
    }
    with transaction.atomic():
        closed = (
            Application.objects.filter(
                state__in=[ApplicationState.REFUSED, ApplicationState.NO_FOLLOW_UP]
            )
            .filter(
                Q(decided_at__lt=app_cutoff) | Q(decided_at__isnull=True, updated_at__lt=app_cutoff)
            )
            .exclude(need=ERASED_TEXT)
        )
        ids = list(closed.values_list("pk", flat=True))
        report.files_deleted = anonymise_applications(ids)
        report.applications_anonymised = len(ids)
        abandoned = Application.objects.filter(
            state__in=[ApplicationState.DRAFT, ApplicationState.AWAITING_EMPLOYER],
            updated_at__lt=app_cutoff,
        )
        report.drafts_deleted, files = _delete_applications(abandoned)
        report.files_deleted += files
        report.task_results_deleted = DBTaskResult.objects.filter(
            status__in=["SUCCESSFUL", "FAILED"], finished_at__lt=task_cutoff
        ).delete()[0]
        report.sessions_deleted = Session.objects.filter(expire_date__lt=now).delete()[0]
        report.login_attempts_deleted = _delete_expired_login_attempts(now)
        report.audit_events_deleted = _delete_old_audit_events(audit_cutoff)
        record(
            AuditAction.RETENTION_PURGE,
            None,
            applications_anonymised=report.applications_anonymised,
            drafts_deleted=report.drafts_deleted,
            files_deleted=report.files_deleted,
            audit_events_deleted=report.audit_events_deleted,
            task_results_deleted=report.task_results_deleted,
        )
    return report
