import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from maillage.people.models import Role
from maillage.privacy.audit import email_digest, record
from maillage.privacy.models import AppendOnlyError, AuditAction, AuditEvent
from maillage.privacy.services import purge_expired
from tests.factories import TEST_PASSWORD, AuditEventFactory, CallFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_record_keeps_codes_and_refuses_free_text():
    user = UserFactory()
    event = record(AuditAction.EXPORT, user, user, ip="192.0.2.1", format="xlsx", rows=3)
    assert (event.object_type, event.object_id) == ("people.user", str(user.pk))
    assert event.details == {"format": "xlsx", "rows": 3}
    with pytest.raises(ValueError):
        record(AuditAction.EXPORT, user, note="Une longue phrase libre qui parle de quelqu'un " * 3)
    with pytest.raises(ValueError):
        record(AuditAction.EXPORT, user, to="quelqu.un@exemple.invalid")
    with pytest.raises(TypeError):
        record(AuditAction.EXPORT, user, data={"nested": "dict"})


def test_the_orm_cannot_rewrite_or_delete_events():
    event = AuditEventFactory()
    event.action = AuditAction.LOGOUT
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action=AuditAction.LOGOUT)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    event.refresh_from_db()
    assert event.action == AuditAction.LOGIN


def test_the_database_refuses_update_and_young_deletes_through_raw_sql():
    event = AuditEventFactory()
    table = AuditEvent._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET action = 'logout' WHERE id = %s", [event.pk])  # noqa: S608
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [event.pk])  # noqa: S608
    assert AuditEvent.objects.filter(pk=event.pk, action=AuditAction.LOGIN).exists()


def test_only_events_older_than_a_year_are_purged():
    now = timezone.now()
    old = AuditEventFactory(at=now - datetime.timedelta(days=400))
    young = AuditEventFactory(at=now - datetime.timedelta(days=300))
    report = purge_expired(now=now)
    assert report.audit_events_deleted == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=young.pk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.RETENTION_PURGE).count() == 1


def test_logins_and_failed_logins_are_recorded_without_the_password(client):
    user = UserFactory(email="laure@exemple.invalid")
    url = reverse("people:login")
    client.post(url, {"username": user.email, "password": "pas-le-bon-mot-de-passe"})
    failed = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert failed.details == {"account": email_digest("laure@exemple.invalid")}
    assert failed.actor is None and failed.ip == "127.0.0.1"
    assert "pas-le-bon" not in str(failed.details) and "laure" not in str(failed.details)
    client.post(url, {"username": user.email, "password": TEST_PASSWORD})
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=user).count() == 1


def test_refused_accesses_are_recorded(client):
    # As when wsgi.py sets Django up again: the logging configuration is reapplied.
    from django.conf import settings
    from django.utils.log import configure_logging

    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    CallFactory()
    user = UserFactory(roles=[Role.APPLICANT])
    client.force_login(user)
    assert client.get(reverse("core:dashboard_admin")).status_code == 403
    event = AuditEvent.objects.get(action=AuditAction.ACCESS_REFUSED)
    assert event.actor == user
    assert event.details == {"view": "core:dashboard_admin", "method": "GET"}


# --------------------------------------------------------------------------------------------
# The journal page
# --------------------------------------------------------------------------------------------


def test_journal_is_for_admins_only(client):
    url = reverse("privacy:journal")
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("people:login"))
    for role in [Role.APPLICANT, Role.RESOURCE_PERSON, Role.COORDINATOR, Role.COMMITTEE]:
        client.force_login(UserFactory(roles=[role]))
        assert client.get(url).status_code == 403
    client.force_login(UserFactory(roles=[Role.ADMIN]))
    assert client.get(url).status_code == 200


def test_journal_filters_and_paginates_with_constant_queries(client, django_assert_max_num_queries):
    admin = UserFactory(roles=[Role.ADMIN], email="admin-journal@exemple.invalid")
    client.force_login(admin)
    url = reverse("privacy:journal")
    for _ in range(3):
        AuditEventFactory(action=AuditAction.ERASURE)
    with django_assert_max_num_queries(8):
        small = client.get(url)
    for _ in range(60):
        AuditEventFactory(action=AuditAction.EXPORT)
    with django_assert_max_num_queries(8):
        large = client.get(url)
    assert small.status_code == large.status_code == 200
    assert "Page 1 sur 2" in large.content.decode()
    body = client.get(url, {"action": AuditAction.ERASURE}).content.decode()
    assert body.count("Effacement d&#x27;un compte") == 3 + 1  # rows + the filter's option
    response = client.get(url, {"since": "2030-01-02", "until": "2030-01-01"})
    assert 'aria-invalid="true"' in response.content.decode()
    assert "La date de fin doit suivre la date de début." in response.content.decode()
