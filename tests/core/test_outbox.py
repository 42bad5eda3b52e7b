"""The e-mail outbox (core.emails): written with the action, sent after the commit, retried
with back-off while the SMTP server fails, sent exactly once."""

import datetime
import smtplib
import threading
from types import SimpleNamespace
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from hypothesis import given
from hypothesis import strategies as st

from maillage.applications.tasks import send_submission_receipt
from maillage.core import emails, tasks
from maillage.core.models import EmailStatus, OutgoingEmail, OutgoingEmailAttachment
from maillage.people.models import Role
from tests.factories import ApplicationFactory, OutgoingEmailFactory, UserFactory

pytestmark = pytest.mark.django_db

REAL_NOW = timezone.now


# --------------------------------------------------------------------------------------------
# Test doubles: a clock, SMTP servers that fail, a database task worker
# --------------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = REAL_NOW()

    def __call__(self) -> datetime.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += datetime.timedelta(**delta)


@pytest.fixture
def clock():
    """Freeze ``timezone.now`` (the outbox, the task backends and auto dates all read it)."""
    frozen = Clock()
    with mock.patch("django.utils.timezone.now", frozen):
        yield frozen


class FlakyBackend(BaseEmailBackend):
    """An SMTP server that fails ``failures`` times, then delivers into mail.outbox."""

    failures = 0
    error: Exception = smtplib.SMTPException("451 try later")
    calls = 0
    during_send = None  # a callable run while "sending", to interleave another worker

    def send_messages(self, email_messages):
        type(self).calls += 1
        if type(self).during_send is not None:
            type(self).during_send()
        if type(self).failures > 0:
            type(self).failures -= 1
            raise type(self).error
        return LocmemBackend().send_messages(email_messages)


@pytest.fixture
def smtp(settings):
    settings.EMAIL_BACKEND = "tests.core.test_outbox.FlakyBackend"
    FlakyBackend.failures = 0
    FlakyBackend.error = smtplib.SMTPException("451 try later")
    FlakyBackend.calls = 0
    FlakyBackend.during_send = None
    yield FlakyBackend
    FlakyBackend.during_send = None


@pytest.fixture
def db_tasks(settings):
    """The production task backend (tasks are rows), with a worker run on demand."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )

    def run_ready() -> int:
        ran = 0
        while (row := DBTaskResult.objects.ready().first()) is not None:
            row.claim(worker.worker_id)
            worker.run_task(row)
            ran += 1
        return ran

    return run_ready


def _queue(**kwargs):
    fields = {"subject": "Objet", "body": "Texte.\n", "to": ["ines@exemple.invalid"], **kwargs}
    return emails.queue_email(fields.pop("subject"), fields.pop("body"), fields.pop("to"), **fields)


# --------------------------------------------------------------------------------------------
# Written in the caller's transaction, sent after the commit
# --------------------------------------------------------------------------------------------


def test_a_rolled_back_action_leaves_no_row_and_sends_nothing(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        emails.queue_templated_email(
            "privacy/email/erasure",
            {"first_name": "Inès", "coordination_email": "coordination@exemple.invalid"},
            ["ines@exemple.invalid"],
        )
        assert OutgoingEmail.objects.count() == 1
        raise RuntimeError("the action fails after queueing its e-mail")
    assert callbacks == []
    assert not OutgoingEmail.objects.exists()
    assert mail.outbox == []


def test_a_committed_action_sends_one_email_after_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = emails.queue_templated_email(
            "privacy/email/erasure",
            {"first_name": "Inès", "coordination_email": "coordination@exemple.invalid"},
            ["ines@exemple.invalid"],
            reply_to=["coordination@exemple.invalid"],
        )
        # Nothing leaves before the commit.
        assert mail.outbox == []
        assert OutgoingEmail.objects.get().status == EmailStatus.QUEUED
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ines@exemple.invalid"] and sent.reply_to == ["coordination@exemple.invalid"]
    assert "effacées" in sent.subject and "Inès" in sent.body
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and email.attempts == 1 and email.sent_at
    assert sent.extra_headers["Message-ID"] == emails.message_id(email)
    assert email.next_attempt_at <= email.sent_at


def test_the_task_queue_holds_the_row_id_only(db_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = _queue(subject="Votre reçu", body="Bonjour Inès.\n")
    row = DBTaskResult.objects.get()
    assert row.task_path == "maillage.core.tasks.deliver_email"
    assert row.args_kwargs == {"args": [email.pk], "kwargs": {}}
    assert mail.outbox == []
    assert db_tasks() == 1
    assert [m.subject for m in mail.outbox] == ["Votre reçu"]
    assert OutgoingEmail.objects.get().status == EmailStatus.SENT


def test_the_same_idempotency_key_writes_and_sends_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _queue(idempotency_key="reminder:42")
        second = _queue(idempotency_key="reminder:42")
    assert first.pk == second.pk
    assert OutgoingEmail.objects.count() == 1 and len(mail.outbox) == 1


def test_an_email_needs_a_recipient():
    with pytest.raises(ValueError):
        _queue(to=["", ""])


# --------------------------------------------------------------------------------------------
# SMTP failures: the page never fails, retries with back-off, then sent once
# --------------------------------------------------------------------------------------------


def test_a_failing_smtp_server_never_breaks_the_page_and_the_sweeper_sends_later(
    client, smtp, clock, django_capture_on_commit_callbacks
):
    user = UserFactory(email="ines@exemple.invalid")
    smtp.failures = 2
    started = clock.now

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("people:password_reset"), {"email": user.email})

    assert response.status_code == 302
    assert response.url == reverse("people:password_reset_done")
    email = OutgoingEmail.objects.get()
    assert email.to == [user.email] and mail.outbox == []
    assert (email.status, email.attempts) == (EmailStatus.QUEUED, 1)
    assert email.last_error == "SMTPException"
    first_wait = email.next_attempt_at - started
    assert datetime.timedelta(seconds=48) <= first_wait <= datetime.timedelta(minutes=1)

    # Before it is due, the sweeper leaves it alone.
    assert emails.sweep().enqueued == 0 and smtp.calls == 1

    clock.advance(minutes=3)
    assert emails.sweep().enqueued == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, smtp.calls) == (EmailStatus.QUEUED, 2, 2)
    second_wait = email.next_attempt_at - clock.now
    assert datetime.timedelta(minutes=4) <= second_wait <= datetime.timedelta(minutes=5)
    assert second_wait > first_wait

    clock.advance(minutes=7)
    emails.sweep()
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (EmailStatus.SENT, 3, "")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]

    # Later sweeps, and the delivery task run again, send nothing more.
    clock.advance(hours=1)
    emails.sweep()
    tasks.deliver_email.enqueue(email.pk)
    assert len(mail.outbox) == 1 and smtp.calls == 3


def test_a_retry_is_a_delayed_task_with_the_production_backend(
    db_tasks, smtp, clock, django_capture_on_commit_callbacks
):
    smtp.failures = 1
    with django_capture_on_commit_callbacks(execute=True):
        email = _queue()
    assert db_tasks() == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.QUEUED, 1)
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after == email.next_attempt_at > clock.now
    assert retry.args_kwargs == {"args": [email.pk], "kwargs": {}}
    assert db_tasks() == 0  # not due yet
    clock.advance(minutes=2)
    assert db_tasks() == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and len(mail.outbox) == 1


def test_connection_errors_are_retried_and_recorded_without_personal_data(smtp):
    smtp.failures = 1
    smtp.error = ConnectionRefusedError(111, "Connection refused by ines@exemple.invalid")
    email = OutgoingEmailFactory()
    assert emails.deliver(email.pk) == "retry"
    email.refresh_from_db()
    assert email.last_error == "ConnectionRefusedError errno 111"


def test_a_refused_recipient_fails_at_once_and_other_errors_are_not_retried(smtp):
    smtp.failures = 1
    smtp.error = smtplib.SMTPRecipientsRefused(
        {"inconnu@exemple.invalid": (550, b"5.1.1 <inconnu@exemple.invalid> unknown")}
    )
    refused = OutgoingEmailFactory()
    assert emails.deliver(refused.pk) == "failed"
    refused.refresh_from_db()
    assert (refused.status, refused.last_error) == (EmailStatus.FAILED, "SMTPRecipientsRefused 550")

    smtp.failures = 1
    smtp.error = smtplib.SMTPRecipientsRefused({"x@exemple.invalid": (450, b"greylisted")})
    greylisted = OutgoingEmailFactory()
    assert emails.deliver(greylisted.pk) == "retry"

    smtp.failures = 1
    smtp.error = ValueError("a programming error, not the server's")
    broken = OutgoingEmailFactory()
    assert emails.deliver(broken.pk) == "failed"
    broken.refresh_from_db()
    assert broken.last_error == "ValueError" and broken.sent_at is None


def test_after_the_last_attempt_the_email_is_failed_and_shown_to_admins(
    client, smtp, clock, settings
):
    settings.MAILLAGE_EMAIL_MAX_ATTEMPTS = 3
    smtp.failures = 99
    email = OutgoingEmailFactory(subject="Votre candidature TSF-2026-0001")
    assert emails.deliver(email.pk) == "retry"
    clock.advance(minutes=2)
    emails.sweep()
    clock.advance(minutes=10)
    emails.sweep()
    email.refresh_from_db()
    assert (email.status, email.attempts, smtp.calls) == (EmailStatus.FAILED, 3, 3)
    clock.advance(hours=12)
    emails.sweep()
    assert smtp.calls == 3  # a failed e-mail is not retried by itself

    admin = UserFactory(roles=[Role.ADMIN], is_staff=True, is_superuser=True)
    client.force_login(admin)
    body = client.get(reverse("core:dashboard_admin")).content.decode()
    assert "E-mails sortants" in body
    assert "1 e-mail n'a pas pu être envoyé" in body
    changelist = reverse("admin:core_outgoingemail_changelist")
    assert f"{changelist}?status__exact=failed" in body
    listing = client.get(changelist, {"status__exact": "failed"}).content.decode()
    assert "Votre candidature TSF-2026-0001" in listing

    # The admin gives it a fresh series of attempts once the server is fixed.
    smtp.failures = 0
    response = client.post(changelist, {"action": "retry", "_selected_action": [email.pk]})
    assert response.status_code == 302
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.QUEUED, 0)
    emails.deliver(email.pk)
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and len(mail.outbox) == 1


def test_the_admin_dashboard_counts_emails_per_status(client):
    OutgoingEmailFactory()
    OutgoingEmailFactory(status=EmailStatus.SENT, sent_at=timezone.now())
    client.force_login(UserFactory(roles=[Role.ADMIN]))
    body = client.get(reverse("core:dashboard_admin")).content.decode()
    assert "En attente" in body and "Envoyé" in body and "Échec définitif" in body
    assert "pas pu être envoyé" not in body


# --------------------------------------------------------------------------------------------
# Exactly once
# --------------------------------------------------------------------------------------------


def test_delivering_twice_sends_once(smtp):
    email = OutgoingEmailFactory()
    assert emails.deliver(email.pk) == "sent"
    assert emails.deliver(email.pk) == "skipped"
    tasks.deliver_email.enqueue(email.pk)
    assert smtp.calls == 1 and len(mail.outbox) == 1


def test_a_second_worker_arriving_during_the_sending_skips_it(smtp):
    email = OutgoingEmailFactory()
    outcomes = []
    smtp.during_send = lambda: outcomes.append(emails.deliver(email.pk))
    assert emails.deliver(email.pk) == "sent"
    assert outcomes == ["skipped"]
    assert smtp.calls == 1 and len(mail.outbox) == 1


def _in_memory_sqlite_tests() -> bool:
    database = settings.DATABASES["default"]
    return "sqlite" in database["ENGINE"] and not database.get("TEST", {}).get("NAME")


# Decided before the database setup: a transactional test restores the reference data, which
# costs seconds for nothing when the test is skipped anyway.
@pytest.mark.skipif(
    _in_memory_sqlite_tests(),
    reason="an in-memory SQLite test database has no concurrent writers (runs on PostgreSQL)",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_racing_workers_send_once(smtp):
    """Real concurrent connections: only one conditional UPDATE wins the claim."""
    email = OutgoingEmailFactory()
    workers = 4
    barrier = threading.Barrier(workers)
    outcomes: list[str] = []

    def work() -> None:
        try:
            barrier.wait()
            outcomes.append(emails.deliver(email.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["sent"] + ["skipped"] * (workers - 1)
    assert smtp.calls == 1 and len(mail.outbox) == 1


def test_a_task_run_twice_sends_one_receipt(django_capture_on_commit_callbacks):
    application = ApplicationFactory(submitted=True)
    with django_capture_on_commit_callbacks(execute=True):
        send_submission_receipt.enqueue(application_id=application.pk)
        send_submission_receipt.enqueue(application_id=application.pk)
    assert len(mail.outbox) == 1
    receipt = mail.outbox[0]
    assert receipt.to == [application.applicant.email] and application.reference in receipt.subject
    (name, content, mimetype) = receipt.attachments[0]
    assert name == f"recepisse-{application.reference}.pdf" and mimetype == "application/pdf"
    assert content.startswith(b"%PDF")
    stored = OutgoingEmailAttachment.objects.get()
    assert stored.email.idempotency_key == f"submission-receipt:{application.pk}"


def test_tasks_queued_before_the_outbox_still_send_once(django_capture_on_commit_callbacks):
    """A ``send_email`` task left in the queue by the previous version, run twice."""
    context = SimpleNamespace(task_result=SimpleNamespace(id="0b7ae3d0-legacy"))
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            tasks.send_email.call(
                context, subject="Ancien", body="Texte.\n", to=["a@exemple.invalid"]
            )
    assert OutgoingEmail.objects.get().idempotency_key == "task:0b7ae3d0-legacy"
    assert [m.subject for m in mail.outbox] == ["Ancien"]


def test_a_stale_claim_is_retried_by_the_sweeper_and_the_old_worker_cannot_overwrite(smtp, clock):
    """The documented at-least-once window: a worker that stops between the sending and the
    "sent" mark. The sweeper takes the claim back after STALE_AFTER; the late worker's result
    is ignored."""
    email = OutgoingEmailFactory()
    late_worker_claim = clock.now
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENDING, claimed_at=late_worker_claim
    )
    clock.advance(minutes=5)
    assert emails.sweep().stale_requeued == 0  # a slow send is not a dead worker

    clock.advance(minutes=6)
    report = emails.sweep()
    assert (report.stale_requeued, report.enqueued) == (1, 1)
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (EmailStatus.SENT, 2, "")
    OutgoingEmail.objects.filter(pk=email.pk, claimed_at=late_worker_claim).update(
        status=EmailStatus.QUEUED
    )
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT


def test_a_message_that_keeps_killing_workers_ends_failed(smtp, clock, settings):
    settings.MAILLAGE_EMAIL_MAX_ATTEMPTS = 2
    email = OutgoingEmailFactory(attempts=1)
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENDING, claimed_at=clock.now
    )
    clock.advance(minutes=11)
    assert emails.sweep().stale_failed == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (
        EmailStatus.FAILED,
        2,
        "StaleClaim",
    )
    assert smtp.calls == 0


def test_the_sweeper_recovers_a_lost_task(smtp, clock):
    """A row whose task never ran (queue lost, process killed before the enqueue)."""
    lost = OutgoingEmailFactory()
    assert emails.sweep().enqueued == 0  # its own task may still be on its way
    clock.advance(minutes=2)
    assert emails.sweep().enqueued == 1
    lost.refresh_from_db()
    assert lost.status == EmailStatus.SENT and len(mail.outbox) == 1


def test_the_command_and_the_task_run_the_sweeper(smtp, clock, capsys):
    OutgoingEmailFactory()
    clock.advance(minutes=2)
    call_command("send_queued_email", "--inline")
    out = capsys.readouterr().out
    assert "sent: 1" in out and "enqueued: 0" in out
    OutgoingEmailFactory()
    clock.advance(minutes=2)
    assert tasks.sweep_outbox.enqueue().return_value["enqueued"] == 1
    assert len(mail.outbox) == 2


# --------------------------------------------------------------------------------------------
# Retention and erasure
# --------------------------------------------------------------------------------------------


def test_old_sent_and_failed_emails_are_deleted_with_their_files(clock, settings):
    settings.MAILLAGE_RETENTION_DAYS_EMAILS = 30
    old = clock.now - datetime.timedelta(days=31)
    old_sent = OutgoingEmailFactory(status=EmailStatus.SENT, sent_at=old, created_at=old)
    OutgoingEmailAttachment.objects.create(
        email=old_sent, filename="recepisse.pdf", mimetype="application/pdf", content=b"%PDF"
    )
    OutgoingEmailFactory(status=EmailStatus.FAILED, created_at=old, next_attempt_at=old)
    old_queued = OutgoingEmailFactory(
        created_at=old, next_attempt_at=clock.now + datetime.timedelta(hours=1)
    )
    recent = OutgoingEmailFactory(status=EmailStatus.SENT, sent_at=clock.now)
    assert emails.sweep().purged == 2
    assert set(OutgoingEmail.objects.values_list("pk", flat=True)) == {old_queued.pk, recent.pk}
    assert not OutgoingEmailAttachment.objects.exists()


def test_forget_recipient_deletes_the_persons_emails():
    OutgoingEmailFactory(
        to=["apolline@exemple.invalid"], status=EmailStatus.SENT, sent_at=timezone.now()
    )
    OutgoingEmailFactory(to=["autre@exemple.invalid", "Apolline@exemple.invalid"])
    kept = OutgoingEmailFactory(to=["autre@exemple.invalid"])
    assert emails.forget_recipient("apolline@exemple.invalid") == 2
    assert list(OutgoingEmail.objects.values_list("pk", flat=True)) == [kept.pk]


# --------------------------------------------------------------------------------------------
# The back-off schedule
# --------------------------------------------------------------------------------------------


@given(
    seed=st.integers(min_value=1, max_value=2**63),
    first=st.integers(min_value=1, max_value=200),
    later=st.integers(min_value=1, max_value=200),
)
def test_backoff_grows_never_shrinks_and_is_capped(seed, first, later):
    first, later = sorted((first, later))
    assert emails.backoff_delay(first, seed) <= emails.backoff_delay(later, seed)
    assert emails.backoff_delay(later, seed) <= emails.RETRY_CAP
    base, cap = emails.RETRY_BASE.total_seconds(), emails.RETRY_CAP.total_seconds()
    nominal = min(cap, base * emails.RETRY_FACTOR ** min(first - 1, 32))
    delay = emails.backoff_delay(first, seed).total_seconds()
    assert nominal * (1 - emails.JITTER) <= delay <= nominal


def test_backoff_schedule_and_jitter_spread_messages_apart():
    minutes = [emails.backoff_delay(n, 7).total_seconds() / 60 for n in range(1, 8)]
    nominal = [1, 5, 25, 125, 360, 360, 360]
    assert all(0.8 * n <= m <= n for m, n in zip(minutes, nominal, strict=True))
    first_waits = {emails.backoff_delay(1, email_id) for email_id in range(1, 101)}
    assert len(first_waits) > 90
