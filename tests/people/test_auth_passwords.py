"""Password storage and policy: Argon2 (older PBKDF2 hashes upgraded at login), at least 12
characters, blocklists (common passwords, the programme's words, the e-mail address, runs and
repetitions), no composition rule; every form that sets a password applies it and keeps what
was typed, except the passwords."""

import re
import string

import pytest
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import given, settings
from hypothesis import strategies as st

from maillage.people.auth import ContextWordsValidator, TrivialSequenceValidator, is_trivial
from maillage.people.models import Role, User
from maillage.people.services import invitation_path
from tests.factories import UserFactory
from tests.people.helpers import STRONG_PASSWORD, signup_data

PASSWORD = "un-mot-de-passe-solide"
ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
PBKDF2 = "django.contrib.auth.hashers.PBKDF2PasswordHasher"


def refused(password: str, user: User | None = None) -> list[str]:
    """The codes of the validation errors (empty: accepted)."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        return [e.code or "" for e in error.error_list]
    return []


# --------------------------------------------------------------------------------------------
# Hashing
# --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_new_passwords_are_hashed_with_argon2_and_pbkdf2_hashes_are_upgraded_at_login(
    client, settings
):
    settings.PASSWORD_HASHERS = [ARGON2, PBKDF2]
    fresh = User.objects.create_user("neuve@exemple.invalid", PASSWORD, first_name="N")
    assert fresh.password.startswith("argon2$argon2id$")

    old = UserFactory(email="ancien@exemple.invalid", roles=[Role.APPLICANT])
    old.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    old.save(update_fields=["password"])
    assert old.password.startswith("pbkdf2_sha256$")

    response = client.post(
        reverse("people:login"), {"username": "ancien@exemple.invalid", "password": PASSWORD}
    )
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.password.startswith("argon2$argon2id$")
    assert old.check_password(PASSWORD)


def test_production_settings_hash_with_argon2_first():
    from django.conf import settings as project_settings

    # The test suite swaps in MD5 for speed (tests/conftest.py); the project's own list:
    import maillage.settings as project

    assert project.PASSWORD_HASHERS[:2] == [ARGON2, PBKDF2]
    assert project_settings.AUTH_PASSWORD_VALIDATORS == project.AUTH_PASSWORD_VALIDATORS
    names = [v["NAME"].rsplit(".", 1)[-1] for v in project.AUTH_PASSWORD_VALIDATORS]
    assert "NumericPasswordValidator" not in names  # a composition rule: none allowed


# --------------------------------------------------------------------------------------------
# The policy
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("court2026", "password_too_short"),
        ("motdepasse123", "password_context_words"),
        ("password1234", "password_too_common"),
        ("maillage-2026!", "password_context_words"),
        ("Occitanie-Musiques", "password_context_words"),
        ("MUSIQUE mentorat 24", "password_context_words"),
        ("aaaaaaaaaaaa", "password_trivial_sequence"),
        ("123456789012", "password_trivial_sequence"),
        ("987654321098", "password_trivial_sequence"),
        ("abcdefghijklm", "password_trivial_sequence"),
        ("azertyuiopqsd", "password_trivial_sequence"),
        ("abcabcabcabc", "password_trivial_sequence"),
        ("aaaa1111bbbb", "password_trivial_sequence"),
        ("------------", "password_trivial_sequence"),
    ],
)
def test_weak_passwords_are_refused_with_their_reason(password, code):
    assert code in refused(password)


def test_the_email_address_cannot_carry_the_password():
    user = User(email="camille.roux@exemple.invalid", first_name="Zoé", last_name="Martin")
    assert "password_context_words" in refused("camille-roux-2026", user)
    assert "password_context_words" in refused("Roux.Camille!!", user)
    assert refused("camille aime les longues phrases", user) == []


@pytest.mark.parametrize(
    "password",
    [
        "les vaches regardent passer les trains",
        "tout en minuscules sans aucun chiffre",
        "839201746583",  # only digits: allowed, no composition rule
        "ÉTÉ À L'OMBRE DES PLATANES",
        "la musique adoucit les mœurs du lundi",  # a programme word inside a real phrase
    ],
)
def test_long_passphrases_of_any_composition_are_accepted(password):
    assert refused(password) == []


def test_validators_explain_themselves_in_french():
    with pytest.raises(ValidationError) as error:
        password_validation.validate_password("123456789012")
    assert "suite ou une répétition de caractères" in str(error.value)
    with pytest.raises(ValidationError) as error:
        password_validation.validate_password("Maillage-Occitanie")
    assert "nom du dispositif" in str(error.value)
    texts = " ".join(password_validation.password_validators_help_texts())
    assert "suite ou une répétition" in texts


ALPHABET = string.ascii_lowercase + string.digits


@given(chunk=st.text(alphabet=ALPHABET, min_size=1, max_size=4), length=st.integers(12, 40))
def test_any_short_pattern_repeated_is_trivial(chunk, length):
    password = (chunk * length)[:length]
    with pytest.raises(ValidationError):
        TrivialSequenceValidator().validate(password)


@given(
    start=st.integers(0, 25),
    length=st.integers(12, 30),
    backwards=st.booleans(),
    digits=st.booleans(),
)
def test_any_straight_run_is_trivial(start, length, backwards, digits):
    row = string.digits if digits else string.ascii_lowercase
    text = (row * 6)[start : start + length]
    password = text[::-1] if backwards else text
    assert is_trivial(password)


WORDS = [
    "vache",
    "trains",
    "platane",
    "lumière",
    "grenier",
    "orange",
    "rivière",
    "cahier",
    "silence",
    "bouleau",
    "tambour",
    "corbeau",
    "fenêtre",
    "horloge",
    "brouillard",
    "chemin",
]


@given(words=st.lists(st.sampled_from(WORDS), min_size=3, max_size=6), sep=st.sampled_from(" -_."))
@settings(max_examples=200)
def test_passphrases_are_never_mistaken_for_runs_or_context_words(words, sep):
    password = sep.join(words)
    TrivialSequenceValidator().validate(password)
    ContextWordsValidator().validate(password)


@given(
    word=st.sampled_from(["maillage", "occitanie", "musique", "mentorat"]),
    suffix=st.text(alphabet=string.digits + "!-_ ", max_size=8),
    upper=st.booleans(),
)
def test_a_context_word_with_a_few_extra_characters_is_refused_in_any_case(word, suffix, upper):
    password = word + suffix
    with pytest.raises(ValidationError):
        ContextWordsValidator().validate(password.upper() if upper else password)


# --------------------------------------------------------------------------------------------
# Every form that sets a password applies the policy and keeps the rest of what was typed
# --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_signup_refuses_a_password_built_from_the_programme_and_keeps_the_fields(client):
    weak = "Maillage-Occitanie-31"
    response = client.post(
        reverse("people:signup"),
        signup_data(first_name="Awa", password1=weak, password2=weak),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "nom du dispositif" in body
    assert 'value="awa.diallo@exemple.invalid"' in body and 'value="Awa"' in body
    assert weak not in body
    assert re.search(r'id="id_password1"[^>]*aria-invalid="true"', body) or re.search(
        r'aria-invalid="true"[^>]*id="id_password1"', body
    )
    assert not User.objects.exists()


@pytest.mark.django_db
def test_invitation_accept_applies_the_policy(client):
    user = UserFactory(email="invitee@exemple.invalid", roles=[Role.RESOURCE_PERSON])
    user.set_unusable_password()
    user.save()
    page = client.get(invitation_path(user), follow=True)
    url = page.redirect_chain[-1][0]
    response = client.post(url, {"password1": "aaaaaaaaaaaaaa", "password2": "aaaaaaaaaaaaaa"})
    assert response.status_code == 200
    assert "suite ou une répétition" in response.content.decode()
    assert "aaaaaaaaaaaaaa" not in response.content.decode()
    done = client.post(url, {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD})
    assert done.status_code == 302


@pytest.mark.django_db
def test_password_reset_applies_the_policy(client):
    user = UserFactory(email="oubli@exemple.invalid", roles=[Role.APPLICANT])
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    page = client.get(reverse("people:password_reset_confirm", args=[uid, token]), follow=True)
    url = page.redirect_chain[-1][0]
    response = client.post(
        url, {"new_password1": "oubli-mentorat", "new_password2": "oubli-mentorat"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "nom du dispositif" in body and 'id="error-summary"' in body
    assert "oubli-mentorat" not in body
    mismatch = client.post(url, {"new_password1": STRONG_PASSWORD, "new_password2": "autre"})
    assert "ne sont pas identiques" in mismatch.content.decode()
    done = client.post(url, {"new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(STRONG_PASSWORD)


@pytest.mark.django_db
def test_password_change_applies_the_policy_in_french(client):
    user = UserFactory(password=PASSWORD, roles=[Role.APPLICANT])
    client.force_login(user)
    url = reverse("people:password_change")
    page = client.get(url).content.decode()
    assert "Mot de passe actuel" in page and "Une phrase de quelques mots" in page
    wrong = client.post(
        url,
        {
            "old_password": "pas-le-bon",
            "new_password1": STRONG_PASSWORD,
            "new_password2": STRONG_PASSWORD,
        },
    )
    assert "pas votre mot de passe actuel : retapez-le" in wrong.content.decode()
    weak = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "123456789012",
            "new_password2": "123456789012",
        },
    )
    assert "suite ou une répétition" in weak.content.decode()
    assert PASSWORD not in weak.content.decode()
    done = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": STRONG_PASSWORD,
            "new_password2": STRONG_PASSWORD,
        },
    )
    assert done.url == reverse("people:password_change_done")
