"""Password policy, login throttling (django-axes) and the end of sessions.

- Two password validators on top of Django's length and common-password ones: no password
  built from the programme's obvious words or the person's e-mail address, none made of a
  repeated or sequential run ("aaaaaaaaaaaa", "123456789012", "azertyuiopqs"). No
  composition rule: length and blocklists are what slow attackers, not "one digit".
- django-axes counts failures per (e-mail, IP address); its lock-out page is
  ``lockout_response``, the same for existing and unknown addresses.
- ``User.session_epoch`` is part of the session hash: ``end_other_sessions`` bumps it to close
  every other session of an account (logout, password change, second-factor reset).
"""

import re
import unicodedata
from typing import Any

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.core.emails import queue_templated_email

from .models import User

# Words everyone around the programme would try first, and French favourites that Django's
# (English) list of common passwords misses. Folded: lowercase, no accents.
CONTEXT_WORDS = (
    "maillage",
    "occitanie",
    "musiques",
    "musique",
    "mentorat",
    "mentore",
    "transfert",
    "savoirfaire",
    "personneressource",
    "toulouse",
    "montpellier",
    "motdepasse",
    "password",
    "azerty",
    "bonjour",
    "soleil",
    "jetaime",
    "doudou",
    "loulou",
    "chouchou",
)
# What must remain once the context words are taken out (separators do not count).
MIN_REST_LENGTH = 10
SEPARATORS = re.compile(r"[\s\W_]+")
KEYBOARD_ROWS = (
    "azertyuiopqsdfghjklmwxcvbn",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "1234567890",
    "abcdefghijklmnopqrstuvwxyz",
)


def fold(text: str) -> str:
    """Lowercase without accents, so that "Musique" and "MUSIQUÉ" count as "musique"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _email_words(user: Any) -> list[str]:
    email = str(getattr(user, "email", "") or "")
    local = fold(email.split("@", 1)[0])
    if not local:
        return []
    parts = [part for part in re.split(r"[._\-+]+", local) if len(part) >= 3]
    return [local.replace(".", "").replace("-", "").replace("_", ""), *parts]


class ContextWordsValidator:
    """Refuses a password built from the programme's words or the e-mail's local part."""

    def __init__(self, words: tuple[str, ...] = CONTEXT_WORDS, min_rest: int = MIN_REST_LENGTH):
        self.words = tuple(fold(word) for word in words)
        self.min_rest = min_rest

    def validate(self, password: str, user: Any = None) -> None:
        folded = SEPARATORS.sub("", fold(password))
        words = sorted({*self.words, *_email_words(user)}, key=len, reverse=True)
        rest = folded
        for word in words:
            rest = rest.replace(word, "")
        if rest != folded and len(rest) < self.min_rest:
            raise ValidationError(
                _(
                    "Ce mot de passe est construit à partir de mots trop faciles à deviner "
                    "(nom du dispositif, de la région, votre adresse e-mail, « motdepasse »…). "
                    "Ajoutez des mots à vous : une phrase de quelques mots convient bien."
                ),
                code="password_context_words",
            )

    def get_help_text(self) -> str:
        return _(
            "Votre mot de passe ne doit pas reposer sur le nom du dispositif, de la région ou "
            "sur votre adresse e-mail."
        )


def _step(a: str, b: str) -> int | None:
    """+1/-1/0 between neighbours of a run; digits wrap (…8, 9, 0, 1…)."""
    if a.isdigit() and b.isdigit():
        delta = (int(b) - int(a)) % 10
        return {0: 0, 1: 1, 9: -1}.get(delta)
    delta = ord(b) - ord(a)
    return delta if delta in (-1, 0, 1) else None


def _run_coverage(text: str) -> int:
    """Characters that belong to runs of at least 3 with a constant step of -1, 0 or +1."""
    covered = 0
    start = 0
    while start < len(text) - 1:
        step = _step(text[start], text[start + 1])
        end = start + 1
        if step is not None:
            while end + 1 < len(text) and _step(text[end], text[end + 1]) == step:
                end += 1
        length = end - start + 1
        if step is not None and length >= 3:
            covered += length
            start = end + 1
        else:
            start += 1
    return covered


def is_trivial(password: str) -> bool:
    text = SEPARATORS.sub("", fold(password))
    if not text:
        return True
    # A short pattern repeated: "aaaaaaaaaaaa", "abababababab", "123412341234".
    for period in range(1, 5):
        if len(text) > period and text == (text[:period] * (len(text) // period + 1))[: len(text)]:
            return True
    # Keyboard rows and the alphabet, forwards or backwards, even wrapped around.
    for row in KEYBOARD_ROWS:
        for candidate in (row, row[::-1]):
            if text in candidate * (len(text) // len(candidate) + 2):
                return True
    # Almost only runs such as "123456789012", "abcdefghijkl", "aaaa1111bbbb".
    return _run_coverage(text) >= len(text) - 2


class TrivialSequenceValidator:
    """Refuses repeated or sequential characters: "aaaaaaaaaaaa", "123456789012"."""

    def validate(self, password: str, user: Any = None) -> None:
        if is_trivial(password):
            raise ValidationError(
                _(
                    "Ce mot de passe n'est qu'une suite ou une répétition de caractères "
                    "(comme « 123456789012 » ou « aaaaaaaaaaaa ») : il se devine très vite."
                ),
                code="password_trivial_sequence",
            )

    def get_help_text(self) -> str:
        return _("Votre mot de passe ne doit pas être une suite ou une répétition de caractères.")


# --------------------------------------------------------------------------------------------
# django-axes
# --------------------------------------------------------------------------------------------


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The typed address, normalised as the login form does, so "Lea@" and "lea@" add up."""
    source: Any = credentials if credentials else getattr(request, "POST", {})
    username = source.get(settings.AXES_USERNAME_FORM_FIELD) if source else None
    if username is None:
        return None
    return str(username).strip().lower()


def lockout_minutes() -> int:
    cool_off = settings.AXES_COOLOFF_TIME
    return max(1, int(cool_off.total_seconds() // 60)) if cool_off else 0


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The lock-out page: nothing in it depends on whether the account exists."""
    response = render(
        request,
        "people/lockout.html",
        {"minutes": lockout_minutes()},
        status=getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429),
    )
    response["Cache-Control"] = "no-store"
    return response


def forget_login_failures(email: str) -> None:
    """After a password reset through the e-mailed link: the person proved they own the
    mailbox, so earlier failures on this address no longer lock them out."""
    from axes.utils import reset

    reset(username=email.strip().lower())


# --------------------------------------------------------------------------------------------
# Sessions
# --------------------------------------------------------------------------------------------


def bump_session_epoch(user: User) -> None:
    """Every session of ``user`` opened so far stops being valid at its next request."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.session_epoch = User.objects.values_list("session_epoch", flat=True).get(pk=user.pk)


def end_other_sessions(request: HttpRequest, user: User) -> None:
    """Close every other session of ``user`` and keep this one (password change)."""
    bump_session_epoch(user)
    # Stores the new hash in this session (and gives it a new key).
    update_session_auth_hash(request, user)


def end_sessions_at_logout(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Logging out on one device logs out everywhere (a shared or lost computer)."""
    if isinstance(user, User) and user.pk is not None:
        bump_session_epoch(user)


# --------------------------------------------------------------------------------------------
# Security notices: the person hears of every change to how they sign in
# --------------------------------------------------------------------------------------------

PASSWORD_CHANGED = gettext_lazy("Le mot de passe de votre compte a été modifié.")
TWO_FACTOR_ENABLED = gettext_lazy("La double authentification a été activée sur votre compte.")
RECOVERY_CODES_RENEWED = gettext_lazy(
    "De nouveaux codes de secours ont été créés ; les anciens ne fonctionnent plus."
)
TWO_FACTOR_RESET_BY_SELF = gettext_lazy(
    "La double authentification de votre compte a été réinitialisée : l'application "
    "d'authentification et les codes de secours enregistrés ne fonctionnent plus."
)
TWO_FACTOR_RESET_BY_ADMIN = gettext_lazy(
    "L'administration de la plateforme a réinitialisé la double authentification de votre "
    "compte (téléphone perdu ou changé). Vous l'activerez de nouveau à votre prochaine "
    "connexion ; vos sessions ouvertes ont été fermées."
)
RECOVERY_CODE_USED = gettext_lazy(
    "Un code de secours a été utilisé pour vous connecter à votre compte."
)


def notify_security_event(user: User, event: str | Promise, *, site_url: str = "") -> None:
    """A short e-mail after the transaction commits; no secret and no link to follow blindly."""
    queue_templated_email(
        "people/email/security_notice",
        {
            "user": user,
            "event": event,
            "when": timezone.localtime(),
            "site_url": site_url or settings.MAILLAGE_SITE_URL,
            "coordination_email": settings.MAILLAGE_COORDINATION_EMAIL,
        },
        [user.email],
    )
