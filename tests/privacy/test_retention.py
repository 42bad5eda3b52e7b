import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from maillage.applications.models import Application, ApplicationState, Attachment
from maillage.privacy import tasks
from maillage.privacy.services import ERASED_TEXT, purge_expired
from tests.factories import ApplicationFactory, AttachmentFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2028, 6, 1, 12, 0, tzinfo=datetime.UTC)


def _closed(state: str, decided_days_ago: int) -> Application:
    application = ApplicationFactory(
        submitted=True, need="Un besoin écrit par la personne.", expected_results="Des résultats."
    )
    Application.objects.filter(pk=application.pk).update(
        state=state, decided_at=NOW - datetime.timedelta(days=decided_days_ago)
    )
    return application


def _aged(application: Application, days: int) -> None:
    Application.objects.filter(pk=application.pk).update(
        updated_at=NOW - datetime.timedelta(days=days)
    )


def _task_result(finished_days_ago: int, status: str = "SUCCESSFUL") -> DBTaskResult:
    finished = NOW - datetime.timedelta(days=finished_days_ago)
    return DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [], "kwargs": {"to": ["x@exemple.invalid"]}},
        task_path="maillage.core.tasks.send_email",
        backend_name="default",
        run_after=finished,
        finished_at=finished,
        exception_class_path="",
        traceback="",
    )


def test_purge_anonymises_and_deletes_what_is_past_its_retention(
    django_capture_on_commit_callbacks,
):
    old_refused = _closed(ApplicationState.REFUSED, 800)
    old_closed = _closed(ApplicationState.NO_FOLLOW_UP, 731)
    recent_refused = _closed(ApplicationState.REFUSED, 100)
    old_accepted = _closed(ApplicationState.ACCEPTED, 900)
    file_path = Path(settings.MEDIA_ROOT) / AttachmentFactory(application=old_refused).file.name
    old_draft = ApplicationFactory()
    _aged(old_draft, 800)
    recent_draft = ApplicationFactory()
    _aged(recent_draft, 10)
    old_task, recent_task = _task_result(400), _task_result(30, status="FAILED")

    with django_capture_on_commit_callbacks(execute=True):
        report = purge_expired(now=NOW)

    assert report.applications_anonymised == 2 and report.drafts_deleted == 1
    assert report.files_deleted == 1 and report.task_results_deleted == 1
    for application in (old_refused, old_closed):
        application.refresh_from_db()
        assert application.need == ERASED_TEXT and application.expected_results == ""
        assert application.call_id and application.state in ("refused", "no_follow_up")
    for application in (recent_refused, old_accepted):
        application.refresh_from_db()
        assert application.need == "Un besoin écrit par la personne."
    assert not Application.objects.filter(pk=old_draft.pk).exists()
    assert Application.objects.filter(pk=recent_draft.pk).exists()
    assert not Attachment.objects.exists() and not file_path.exists()
    assert not DBTaskResult.objects.filter(pk=old_task.pk).exists()
    assert DBTaskResult.objects.filter(pk=recent_task.pk).exists()
    # A second run finds nothing left to do.
    assert purge_expired(now=NOW).applications_anonymised == 0


def test_retention_is_configurable(settings):
    refused = _closed(ApplicationState.REFUSED, 100)
    settings.MAILLAGE_RETENTION_DAYS_APPLICATIONS = 90
    assert purge_expired(now=NOW).applications_anonymised == 1
    refused.refresh_from_db()
    assert refused.need == ERASED_TEXT


def test_command_and_task_run_the_purge(capsys):
    old_draft = ApplicationFactory()
    Application.objects.filter(pk=old_draft.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=1000)
    )
    call_command("purge_expired")
    assert "drafts_deleted: 1" in capsys.readouterr().out
    result = tasks.purge_expired.enqueue()
    assert result.return_value["drafts_deleted"] == 0


def test_login_attempts_are_deleted_once_the_lockout_period_is_over():
    from axes.models import AccessAttempt

    now = timezone.now()
    old = AccessAttempt.objects.create(
        username="a@example.org", ip_address="127.0.0.1", failures_since_start=5
    )
    recent = AccessAttempt.objects.create(
        username="b@example.org", ip_address="127.0.0.1", failures_since_start=1
    )
    AccessAttempt.objects.filter(pk=old.pk).update(
        attempt_time=now - settings.AXES_COOLOFF_TIME - datetime.timedelta(minutes=1)
    )
    report = purge_expired(now=now)
    assert report.login_attempts_deleted == 1
    assert list(AccessAttempt.objects.all()) == [recent]
