"""Double-clicking "Déposer" (issue 5, point 12): one submission, one receipt, whatever the
timing of the two POSTs, sequential or concurrent."""

import threading

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from maillage.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationRevision,
    ApplicationState,
)
from maillage.people.models import EmploymentStatus, Role
from tests.applications.conftest import ready_application
from tests.factories import CallFactory, UserFactory


def _submitted_once(application):
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED and application.reference
    assert Application.objects.filter(reference=application.reference).count() == 1
    assert (
        ApplicationEvent.objects.filter(application=application, to_state="submitted").count() == 1
    )
    assert ApplicationRevision.objects.filter(application=application).count() == 1
    receipts = [m for m in mail.outbox if application.reference in m.subject]
    assert len(receipts) == 1


@pytest.mark.django_db
def test_two_sequential_posts_submit_once(client, django_capture_on_commit_callbacks):
    application = ready_application(EmploymentStatus.LEADER)
    client.force_login(application.applicant)
    url = reverse("applications:step", args=[application.pk, 8])
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"attestation": "on"})
        second = client.post(url, {"attestation": "on"}, follow=True)
    assert first.status_code == 302
    assert "Cette candidature est déjà déposée." in second.content.decode()
    _submitted_once(application)


@pytest.mark.django_db
def test_two_clicks_on_start_create_one_draft(client):
    call = CallFactory()
    user = UserFactory()
    client.force_login(user)
    url = reverse("applications:start", args=[call.slug])
    first = client.post(url)
    second = client.post(url)
    # The second click resumes the draft the first one created.
    assert first.status_code == second.status_code == 302
    application = Application.objects.get(applicant=user, call=call)
    assert f"/{application.pk}/" in first.url and f"/{application.pk}/" in second.url


def _concurrency_supported():
    # In-memory SQLite (the default test database) is one shared-cache database where
    # concurrent writers fail at once with "table is locked" instead of waiting: the
    # concurrent variants run on PostgreSQL and on file-based SQLite (production's setup).
    settings = connection.settings_dict
    name = str(settings["TEST"].get("NAME") or "")
    return connection.vendor != "sqlite" or bool(name and "memory" not in name)


def concurrent(test):
    """A transactional test, skipped before any database setup when concurrency cannot be
    tested. serialized_rollback: a flush without it recreates the content types that the next
    browser test restores again (IntegrityError)."""
    test = pytest.mark.django_db(transaction=True, serialized_rollback=True)(test)
    return pytest.mark.skipif(
        not _concurrency_supported(),
        reason="concurrent writers need PostgreSQL or a file-based SQLite test database",
    )(test)


def _concurrently(*actions):
    """Run the actions in threads released together; each thread uses its own connection."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait(timeout=10)
            results[index] = action()
        except BaseException as error:  # reported by the test, not lost in the thread
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _two_concurrent_posts_submit_once():
    application = ready_application(EmploymentStatus.LEADER)
    url = reverse("applications:step", args=[application.pk, 8])
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(application.applicant)
    results = _concurrently(*[lambda c=c: c.post(url, {"attestation": "on"}) for c in clients])
    assert [getattr(r, "status_code", r) for r in results] == [302, 302]
    _submitted_once(application)


def _two_concurrent_starts_create_one_draft():
    call = CallFactory()
    user = UserFactory()
    url = reverse("applications:start", args=[call.slug])
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(user)
    results = _concurrently(*[lambda c=c: c.post(url) for c in clients])
    assert [getattr(r, "status_code", r) for r in results] == [302, 302]
    assert Application.objects.filter(applicant=user, call=call).count() == 1


def _to_complete():
    from maillage.applications import services

    application = ready_application(EmploymentStatus.LEADER)
    services.submit(application, application.applicant)
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    services.request_completion(application, reason="Précisez le besoin.", actor=coordinator)
    application.refresh_from_db()
    assert application.state == ApplicationState.TO_COMPLETE
    return application


@pytest.mark.django_db
def test_a_resubmission_called_twice_records_one_revision():
    from maillage.applications import services

    application = _to_complete()
    stale = Application.objects.get(pk=application.pk)  # what the second request had read
    services.resubmit(application, actor=application.applicant)
    services.resubmit(stale, actor=application.applicant)
    assert stale.state == ApplicationState.SUBMITTED
    assert ApplicationRevision.objects.filter(application=application).count() == 2
    assert (
        ApplicationEvent.objects.filter(application=application, from_state="to_complete").count()
        == 1
    )


def _two_concurrent_resubmissions_record_one_revision():
    application = _to_complete()
    url = reverse("applications:step", args=[application.pk, 8])
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(application.applicant)
    results = _concurrently(*[lambda c=c: c.post(url, {"attestation": "on"}) for c in clients])
    assert [getattr(r, "status_code", r) for r in results] == [302, 302]
    assert ApplicationRevision.objects.filter(application=application).count() == 2
    assert (
        ApplicationEvent.objects.filter(application=application, from_state="to_complete").count()
        == 1
    )


@concurrent
def test_concurrent_double_clicks_have_one_effect():
    """Two requests in two threads released together, for each double-click of the journey:
    one test, because each transactional test restores the whole reference data."""
    _two_concurrent_starts_create_one_draft()
    _two_concurrent_posts_submit_once()
    _two_concurrent_resubmissions_record_one_revision()
