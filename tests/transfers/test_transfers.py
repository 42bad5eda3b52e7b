"""The transfers table (constraints) and the coordinators' list and detail pages."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from maillage.people.models import Role
from maillage.transfers.models import Transfer, TransferSource, TransferStatus
from tests.factories import (
    CommuneFactory,
    CompetenceFactory,
    OrganisationFactory,
    TransferFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_database_constraints():
    transfer = TransferFactory(source=TransferSource.IMPORT, import_key="ref:a")
    with pytest.raises(IntegrityError), transaction.atomic():
        TransferFactory(source=TransferSource.IMPORT, import_key="ref:a")
    with pytest.raises(IntegrityError), transaction.atomic():
        TransferFactory(source=TransferSource.IMPORT, import_key="")
    with pytest.raises(IntegrityError), transaction.atomic():
        TransferFactory(end_date=transfer.start_date - datetime.timedelta(days=1))
    with pytest.raises(IntegrityError), transaction.atomic():
        TransferFactory(planned_days=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        TransferFactory(amount_paid=-1)
    # Platform transfers have no import key; several may coexist.
    TransferFactory()
    TransferFactory()
    assert Transfer.objects.filter(import_key="").count() == 2


def test_erasing_a_resource_person_profile_keeps_the_transfer():
    transfer = TransferFactory()
    transfer.resource_person.delete()
    transfer.refresh_from_db()
    assert transfer.resource_person is None and transfer.mentor_organisation is not None


URLS = ["transfers:list", "transfers:detail"]


def _url(name, transfer):
    return reverse(name, args=[transfer.pk]) if name.endswith("detail") else reverse(name)


def test_anonymous_visitors_are_sent_to_login(client):
    transfer = TransferFactory()
    for name in URLS:
        response = client.get(_url(name, transfer))
        assert response.status_code == 302 and response.url.startswith(reverse("people:login"))


@pytest.mark.parametrize("role", list(Role))
def test_only_coordination_sees_transfers(client, role):
    transfer = TransferFactory()
    client.force_login(UserFactory(roles=[role]))
    expected = 200 if role in (Role.COORDINATOR, Role.ADMIN) else 403
    for name in URLS:
        assert client.get(_url(name, transfer)).status_code == expected
    # Even the mentee of the transfer does not reach the coordination's page.
    client.force_login(transfer.mentee)
    assert client.get(_url("transfers:detail", transfer)).status_code == 403


def test_unknown_transfer_is_a_404(client):
    client.force_login(UserFactory(roles=[Role.COORDINATOR]))
    assert client.get(reverse("transfers:detail", args=[999999])).status_code == 404


@pytest.fixture
def coordinator_client(client):
    client.force_login(UserFactory(roles=[Role.COORDINATOR]))
    return client


def _rows(response):
    return [t.pk for t in response.context["page"].object_list]


def test_filters_by_year_departement_and_status(coordinator_client):
    herault = OrganisationFactory(commune=CommuneFactory(insee_code="34172"))
    old = TransferFactory(start_date=datetime.date(2022, 5, 2), end_date=None)
    recent = TransferFactory(
        start_date=datetime.date(2024, 3, 1),
        end_date=None,
        mentee__organisation=herault,
        mentee_organisation=herault,
    )
    cancelled = TransferFactory(
        start_date=datetime.date(2024, 6, 1), end_date=None, status=TransferStatus.CANCELLED
    )
    url = reverse("transfers:list")
    assert set(_rows(coordinator_client.get(url))) == {old.pk, recent.pk, cancelled.pk}
    assert set(_rows(coordinator_client.get(url, {"annee": "2024"}))) == {recent.pk, cancelled.pk}
    assert _rows(coordinator_client.get(url, {"departement": "34"})) == [recent.pk]
    assert _rows(coordinator_client.get(url, {"statut": "cancelled"})) == [cancelled.pk]
    assert _rows(coordinator_client.get(url, {"annee": "2024", "statut": "completed"})) == [
        recent.pk
    ]
    # Malformed filters are ignored rather than failing.
    response = coordinator_client.get(url, {"annee": "deux", "statut": "x", "departement": "';"})
    assert response.status_code == 200 and len(_rows(response)) == 3
    body = coordinator_client.get(url).content.decode()
    assert '<option value="2024">2024</option>' in body and "3 transferts" in body


def test_list_pages_and_runs_a_constant_number_of_queries(
    coordinator_client, django_assert_max_num_queries
):
    competence = CompetenceFactory()
    TransferFactory.create_batch(2, competences=[competence])
    url = reverse("transfers:list")
    with django_assert_max_num_queries(15) as few:
        coordinator_client.get(url)
    TransferFactory.create_batch(26, competences=[competence, CompetenceFactory()])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = coordinator_client.get(url)
    assert len(_rows(response)) == 25 and "Page 1 sur 2" in response.content.decode()
    assert len(_rows(coordinator_client.get(url, {"page": "2"}))) == 3


def test_detail_page(coordinator_client):
    competence = CompetenceFactory(label_fr="Régie générale")
    transfer = TransferFactory(
        reference="TSF-H-042",
        competences=[competence],
        source=TransferSource.IMPORT,
        import_key="ref:tsf-h-042",
    )
    body = coordinator_client.get(reverse("transfers:detail", args=[transfer.pk])).content.decode()
    assert "TSF-H-042" in body and "Régie générale" in body
    assert transfer.mentee.full_name in body and transfer.resource_person.user.full_name in body
    assert "500,00 €" in body and "Import de tableur" in body
    assert "Réalisé" in body
