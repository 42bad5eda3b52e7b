"""Forms of the privacy pages. Fields in error carry aria-invalid and point to their message."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from maillage.core.forms import AccessibleForm
from maillage.people.models import User

from .models import AuditAction


class ErasureForm(AccessibleForm):
    password = forms.CharField(
        label=_("Votre mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Pour vérifier que c'est bien vous qui demandez l'effacement."),
        error_messages={"required": _("Tapez votre mot de passe pour confirmer.")},
    )
    confirm = forms.BooleanField(
        label=_("Je comprends que l'effacement est définitif et ferme mon compte."),
        error_messages={"required": _("Cochez la case pour confirmer l'effacement.")},
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("Mot de passe incorrect. Vérifiez votre saisie (les majuscules comptent).")
            )
        return password


class JournalFilterForm(AccessibleForm):
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("Toutes"))] + list(AuditAction.choices),
    )
    actor = forms.CharField(label=_("Compte (e-mail contient)"), required=False, max_length=100)
    since = forms.DateField(
        label=_("Du"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Date invalide : utilisez le format JJ/MM/AAAA.")},
    )
    until = forms.DateField(
        label=_("Au"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Date invalide : utilisez le format JJ/MM/AAAA.")},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", _("La date de fin doit suivre la date de début."))
        return cleaned
