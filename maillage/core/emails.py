"""The e-mail outbox: e-mails are rows written with the action that causes them, then sent
once by a background task, retried with back-off while the SMTP server fails.

Queueing (in the request): ``queue_email`` / ``queue_templated_email`` render now and write an
``OutgoingEmail`` row inside the caller's transaction; the delivery task is enqueued once the
transaction commits, with the row id only. A rolled-back action leaves no row and sends nothing.

Delivery (in the worker): ``deliver`` claims the row with a conditional UPDATE (queued →
sending), sends, and marks it sent right away. A row already claimed or sent is skipped, so a
task run twice or two racing workers send it once. SMTP and connection errors never reach the
page: the row goes back to queued with ``next_attempt_at`` pushed back (1 min, 5, 25, 125, then
6 h, with jitter) and a delayed task, until ``MAILLAGE_EMAIL_MAX_ATTEMPTS`` makes it failed.

Sweeping (cron, ``manage.py send_queued_email``): re-enqueues due rows whose task was lost,
re-queues rows stuck in "sending" by a worker that died (the only window where a message can
go twice: sent, then the worker died before marking it), and deletes old sent/failed rows.
"""

import contextlib
import datetime
import functools
import hashlib
import logging
import random
import smtplib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import CharField, F, Q
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import EmailStatus, OutgoingEmail, OutgoingEmailAttachment

logger = logging.getLogger(__name__)

# Retry schedule: RETRY_BASE × RETRY_FACTOR^(attempt − 1), capped, minus up to JITTER of it.
RETRY_BASE = datetime.timedelta(minutes=1)
RETRY_FACTOR = 5
RETRY_CAP = datetime.timedelta(hours=6)
JITTER = 0.2
# A claim older than this means the worker died while sending (the SMTP timeout,
# settings.EMAIL_TIMEOUT, is far shorter): the sweeper puts the message back in the queue.
STALE_AFTER = datetime.timedelta(minutes=10)
# A due message younger than this still has its own task about to run: the sweeper leaves it.
SWEEP_GRACE = datetime.timedelta(minutes=1)
SWEEP_BATCH = 1000

# (file name, content, MIME type), as Django's EmailMessage.attach takes them.
Attachment = tuple[str, bytes, str]


def max_attempts() -> int:
    return max(1, int(getattr(settings, "MAILLAGE_EMAIL_MAX_ATTEMPTS", 8)))


def retention_days() -> int:
    return int(getattr(settings, "MAILLAGE_RETENTION_DAYS_EMAILS", 30))


# --------------------------------------------------------------------------------------------
# Queueing
# --------------------------------------------------------------------------------------------


def queue_email(
    subject: str,
    body: str,
    to: Sequence[str],
    *,
    html_body: str = "",
    reply_to: Sequence[str] = (),
    from_email: str = "",
    attachments: Iterable[Attachment] = (),
    idempotency_key: str | None = None,
) -> OutgoingEmail:
    """Write the e-mail in the current transaction; its sending starts after the commit.

    With an ``idempotency_key`` already used, nothing new is written or sent: the existing
    row is returned (a task run twice, a receipt asked twice, send one e-mail).
    """
    recipients = [address for address in to if address]
    if not recipients:
        raise ValueError("an e-mail needs at least one recipient")
    files = list(attachments)
    now = timezone.now()
    fields: dict[str, Any] = {
        "subject": " ".join(subject.split()),
        "body": body,
        "html_body": html_body,
        "from_email": from_email,
        "to": recipients,
        "reply_to": list(reply_to),
        "created_at": now,
        "next_attempt_at": now,
    }
    # The message and its files are one unit: never a receipt sent without its PDF.
    with transaction.atomic() if files else contextlib.nullcontext():
        if idempotency_key is None:
            email = OutgoingEmail.objects.create(idempotency_key=uuid.uuid4().hex, **fields)
            created = True
        else:
            email, created = OutgoingEmail.objects.get_or_create(
                idempotency_key=idempotency_key, defaults=fields
            )
        if created and files:
            OutgoingEmailAttachment.objects.bulk_create(
                OutgoingEmailAttachment(
                    email=email, filename=name, content=content, mimetype=mimetype
                )
                for name, content, mimetype in files
            )
    if created:
        email_id = email.pk
        # robust: the action is committed by then; a failing enqueue must not turn the page
        # into an error (the sweeper enqueues the row later).
        transaction.on_commit(lambda: enqueue_delivery(email_id), robust=True)
    return email


def queue_templated_email(
    template_prefix: str,
    context: dict[str, Any],
    to: Sequence[str],
    language: str = "fr",
    *,
    reply_to: Sequence[str] = (),
    idempotency_key: str | None = None,
) -> OutgoingEmail:
    """Render ``<prefix>_subject.txt`` and ``<prefix>_body.txt`` now and queue the e-mail.

    Rendering happens in the request (a template error is a programming error and shows at
    once); sending waits for the commit, so a rolled-back action never sends mail and a slow
    or failing SMTP server never slows or breaks the page.
    """
    with translation.override(language):
        subject = render_to_string(f"{template_prefix}_subject.txt", context)
        body = render_to_string(f"{template_prefix}_body.txt", context)
    return queue_email(subject, body, to, reply_to=reply_to, idempotency_key=idempotency_key)


def enqueue_delivery(email_id: int, run_after: datetime.datetime | None = None) -> bool:
    """Enqueue the delivery task; False when it could not be (the sweeper will)."""
    from .tasks import deliver_email

    task = deliver_email
    try:
        if run_after is not None:
            # The immediate backend (tests, development) cannot delay a task: running the
            # retry at once would hammer a failing server, so the sweeper does it when due.
            if not task.get_backend().supports_defer:
                return False
            task = task.using(run_after=run_after)
        task.enqueue(email_id)
    except Exception:
        logger.exception("outbox: could not enqueue the delivery of e-mail %s", email_id)
        return False
    return True


# --------------------------------------------------------------------------------------------
# Delivery
# --------------------------------------------------------------------------------------------


def backoff_delay(attempts: int, seed: int) -> datetime.timedelta:
    """How long to wait after the ``attempts``-th failed attempt (1, 2, …).

    The jitter is drawn once per message (from ``seed``, its id): messages that failed
    together spread out instead of hitting the server together, and for one message the
    delays never shrink from one attempt to the next.
    """
    exponent = min(max(attempts, 1) - 1, 32)  # 5**32 minutes is far beyond the cap already
    nominal = min(RETRY_CAP.total_seconds(), RETRY_BASE.total_seconds() * RETRY_FACTOR**exponent)
    spread = random.Random(seed).random()
    return datetime.timedelta(seconds=nominal * (1 - JITTER * spread))


def describe_error(exc: BaseException) -> str:
    """Exception class and SMTP code(s): server texts may quote addresses, never keep them."""
    parts = [type(exc).__name__]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts += sorted({str(code) for code, _ in exc.recipients.values()})
    elif isinstance(exc, smtplib.SMTPResponseException):
        parts.append(str(exc.smtp_code))
    elif isinstance(exc, OSError) and exc.errno is not None:
        parts.append(f"errno {exc.errno}")
    return " ".join(parts)[:200]


def is_transient(exc: BaseException) -> bool:
    """SMTP and network errors may pass on a later attempt; anything else will not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # Every recipient refused for good (5xx): retrying cannot change the answer.
        return any(code < 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPException | OSError)


def message_id(email: OutgoingEmail) -> str:
    """The same Message-ID for every attempt, so mail clients merge an unlikely duplicate."""
    sender = email.from_email or settings.DEFAULT_FROM_EMAIL
    domain = parseaddr(sender)[1].rpartition("@")[2] or "maillage.invalid"
    digest = hashlib.sha256(email.idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}.{email.pk}@{domain}>"


def build_message(email: OutgoingEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body,
        from_email=email.from_email or None,
        to=list(email.to),
        reply_to=list(email.reply_to or []),
        headers={"Message-ID": message_id(email)},
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    for attachment in email.attachments.all():
        message.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
    return message


def deliver(email_id: int) -> str:
    """Send one queued e-mail if it is due and nobody else holds it.

    Returns what happened: "sent", "retry", "failed" or "skipped" (not due, already taken,
    already sent). Never raises because of the SMTP server.
    """
    now = timezone.now()
    # The claim: one UPDATE that only one caller can win, on SQLite and PostgreSQL alike.
    claimed = OutgoingEmail.objects.filter(
        pk=email_id, status=EmailStatus.QUEUED, next_attempt_at__lte=now
    ).update(status=EmailStatus.SENDING, claimed_at=now)
    if not claimed:
        return "skipped"
    email = OutgoingEmail.objects.prefetch_related("attachments").get(pk=email_id)
    # Every outcome is written only if the claim is still ours (the sweeper may have given a
    # stale claim to another worker meanwhile).
    ours = OutgoingEmail.objects.filter(pk=email_id, status=EmailStatus.SENDING, claimed_at=now)
    attempts = email.attempts + 1
    try:
        build_message(email).send()
    except Exception as exc:
        error = describe_error(exc)
        if not is_transient(exc) or attempts >= max_attempts():
            ours.update(status=EmailStatus.FAILED, attempts=attempts, last_error=error)
            logger.error(
                "outbox: e-mail %s failed after %s attempt(s): %s", email_id, attempts, error
            )
            return "failed"
        retry_at = timezone.now() + backoff_delay(attempts, email_id)
        ours.update(
            status=EmailStatus.QUEUED,
            attempts=attempts,
            last_error=error,
            next_attempt_at=retry_at,
        )
        logger.warning(
            "outbox: e-mail %s attempt %s failed (%s), next at %s",
            email_id,
            attempts,
            error,
            retry_at.isoformat(),
        )
        enqueue_delivery(email_id, run_after=retry_at)
        return "retry"
    # Right after the SMTP server accepted it: the at-least-once window is this one UPDATE.
    ours.update(status=EmailStatus.SENT, attempts=attempts, sent_at=timezone.now(), last_error="")
    return "sent"


# --------------------------------------------------------------------------------------------
# Sweeping, retention, administration
# --------------------------------------------------------------------------------------------


@dataclass
class SweepReport:
    stale_requeued: int = 0
    stale_failed: int = 0
    enqueued: int = 0
    sent: int = 0
    purged: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def sweep(*, inline: bool = False) -> SweepReport:
    """Recover what a lost task or a dead worker left behind; delete old sent/failed rows.

    ``inline`` sends the due messages in this process instead of enqueueing them (when the
    worker is down or the task queue is being rebuilt).
    """
    now = timezone.now()
    report = SweepReport()
    stale = OutgoingEmail.objects.filter(
        status=EmailStatus.SENDING, claimed_at__lt=now - STALE_AFTER
    )
    stale_ids = list(stale.values_list("pk", flat=True))
    # The dead attempt counts: a message that crashes every worker still ends up failed.
    report.stale_failed = stale.filter(pk__in=stale_ids, attempts__gte=max_attempts() - 1).update(
        status=EmailStatus.FAILED, attempts=F("attempts") + 1, last_error="StaleClaim"
    )
    report.stale_requeued = stale.filter(pk__in=stale_ids).update(
        status=EmailStatus.QUEUED,
        attempts=F("attempts") + 1,
        last_error="StaleClaim",
        next_attempt_at=now,
    )
    due_ids = list(
        OutgoingEmail.objects.filter(status=EmailStatus.QUEUED)
        .filter(Q(next_attempt_at__lte=now - SWEEP_GRACE) | Q(pk__in=stale_ids))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for email_id in due_ids:
        if inline:
            report.sent += deliver(email_id) == "sent"
        else:
            report.enqueued += enqueue_delivery(email_id)
    report.purged = purge_old(now)
    return report


def purge_old(now: datetime.datetime | None = None) -> int:
    """Delete sent and failed e-mails (with their files) older than the retention period."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=retention_days())
    finished = [EmailStatus.SENT, EmailStatus.FAILED]
    old = OutgoingEmail.objects.filter(status__in=finished, created_at__lt=cutoff)
    return old.delete()[1].get(OutgoingEmail._meta.label, 0)


def forget_recipient(address: str) -> int:
    """Delete every e-mail addressed to ``address`` not being sent right now (erasure)."""
    rows = OutgoingEmail.objects.annotate(recipients=Cast("to", CharField())).filter(
        recipients__icontains=address
    )
    deleted = rows.exclude(status=EmailStatus.SENDING).delete()[1]
    return deleted.get(OutgoingEmail._meta.label, 0)


def requeue(email_ids: Iterable[int]) -> int:
    """Give failed (or waiting) messages a fresh series of attempts, starting now."""
    now = timezone.now()
    ids = list(
        OutgoingEmail.objects.filter(
            pk__in=list(email_ids), status__in=[EmailStatus.FAILED, EmailStatus.QUEUED]
        ).values_list("pk", flat=True)
    )
    count = OutgoingEmail.objects.filter(
        pk__in=ids, status__in=[EmailStatus.FAILED, EmailStatus.QUEUED]
    ).update(status=EmailStatus.QUEUED, attempts=0, next_attempt_at=now)
    for email_id in ids:
        transaction.on_commit(functools.partial(enqueue_delivery, email_id), robust=True)
    return count
