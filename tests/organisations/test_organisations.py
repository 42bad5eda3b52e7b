import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from maillage.organisations.models import ActivityType, Organisation, OrganisationActivity
from maillage.organisations.validators import normalise_siret, validate_siret


def make_siret(siren_digits: str, nic_digits: str) -> str:
    """A valid SIRET: Luhn-valid SIREN (8 digits + key), then NIC (4 digits + key over all 14)."""
    siren = siren_digits + luhn.calc_check_digit(siren_digits)
    body = siren + nic_digits
    return body + luhn.calc_check_digit(body)


DIGITS = "0123456789"
sirens = st.text(alphabet=DIGITS, min_size=8, max_size=8).filter(lambda s: s != "00000000")
nics = st.text(alphabet=DIGITS, min_size=4, max_size=4)


@given(sirens, nics)
def test_every_luhn_valid_siret_is_accepted_whatever_its_spacing(siren, nic):
    siret = make_siret(siren, nic)
    spaced = f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
    assert normalise_siret(spaced) == siret
    validate_siret(normalise_siret(spaced))


@given(sirens, nics, st.integers(1, 9))
def test_a_single_wrong_digit_is_rejected(siren, nic, delta):
    siret = make_siret(siren, nic)
    wrong = siret[:-1] + str((int(siret[-1]) + delta) % 10)
    # La Poste's establishments use another checksum; stdnum knows that exception.
    if wrong.startswith("356000000"):
        return
    with pytest.raises(ValidationError) as error:
        validate_siret(wrong)
    assert "n'est pas valide" in str(error.value)


@pytest.mark.parametrize("value", ["", "123", "1234567890123A", "732 829 320 00075"])
def test_malformed_sirets_get_a_french_message(value):
    with pytest.raises(ValidationError, match="SIRET"):
        validate_siret(normalise_siret(value))


@pytest.mark.django_db
def test_siret_is_unique_but_may_be_left_empty():
    siret = make_siret("73282932", "0007")
    Organisation.objects.create(name="A", siret=siret, commune_id="31555")
    Organisation.objects.create(name="Sans SIRET 1", commune_id="31555")
    Organisation.objects.create(name="Sans SIRET 2", commune_id="34172")
    with pytest.raises(IntegrityError):
        Organisation.objects.create(name="B", siret=siret, commune_id="34172")


@pytest.mark.django_db
def test_database_refuses_a_siret_that_is_not_fourteen_digits():
    with pytest.raises(IntegrityError):
        Organisation.objects.create(name="C", siret="12345", commune_id="31555")


@pytest.mark.django_db
def test_full_clean_normalises_and_explains():
    organisation = Organisation(name="D", siret="732 829 320 00074", commune_id="31555")
    with pytest.raises(ValidationError) as error:
        organisation.full_clean()
    assert "siret" in error.value.message_dict


@pytest.mark.django_db
def test_activities_are_unique_and_labelled():
    organisation = Organisation.objects.create(name="E", commune_id="31555")
    OrganisationActivity.objects.create(organisation=organisation, activity=ActivityType.FESTIVAL)
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationActivity.objects.create(
            organisation=organisation, activity=ActivityType.FESTIVAL
        )
    assert organisation.activity_labels() == ["Festival"]
    assert organisation.departement_id == "31"
