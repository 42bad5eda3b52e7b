from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from maillage.geography.models import Commune
from maillage.geography.selectors import communes_for_postal_code

from .models import ActivityType, LegalForm, Organisation
from .validators import normalise_siret, validate_siret


class OrganisationForm(forms.Form):
    """Create a structure: the commune is found from the postal code (htmx refreshes the list)."""

    name = forms.CharField(label=_("Nom de la structure"), max_length=200)
    siret = forms.CharField(
        label=_("SIRET"),
        max_length=20,
        required=False,
        help_text=_("14 chiffres ; les espaces sont acceptés. Facultatif pour une collectivité."),
    )
    legal_form = forms.ChoiceField(label=_("Forme juridique"), choices=LegalForm.choices)
    activities = forms.MultipleChoiceField(
        label=_("Activités"),
        choices=ActivityType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Cochez au moins une activité.")},
    )
    postal_code = forms.CharField(
        label=_("Code postal"),
        max_length=5,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    commune = forms.CharField(label=_("Commune"), max_length=5, widget=forms.Select)
    headcount = forms.IntegerField(
        label=_("Effectif salarié (ETP)"), min_value=0, max_value=10000, required=False
    )
    federation_member = forms.BooleanField(
        label=_("Adhérente de la fédération régionale"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        code = (self.data.get(self.add_prefix("postal_code")) or "").strip()
        choices = [
            (c.insee_code, f"{c.name} ({c.departement_id})") for c in communes_for_postal_code(code)
        ]
        self.fields["commune"].widget.choices = choices or [
            ("", _("Saisissez d'abord un code postal"))
        ]

    def clean_siret(self) -> str:
        siret = normalise_siret(self.cleaned_data.get("siret", ""))
        if siret:
            validate_siret(siret)
            if Organisation.objects.filter(siret=siret).exists():
                raise forms.ValidationError(
                    _(
                        "Une structure avec ce SIRET existe déjà sur la plateforme : "
                        "recherchez-la par son nom ou son SIRET plutôt que de la créer."
                    ),
                    code="duplicate_siret",
                )
        return siret

    def clean_postal_code(self) -> str:
        code = self.cleaned_data["postal_code"].strip()
        if not (len(code) == 5 and code.isdigit()):
            raise forms.ValidationError(_("Le code postal doit comporter 5 chiffres."))
        return code

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        code, insee = cleaned.get("postal_code"), cleaned.get("commune")
        if code and insee is not None:
            commune = communes_for_postal_code(code).filter(insee_code=insee).first()
            if commune is None:
                self.add_error(
                    "commune",
                    _("Choisissez une commune d'Occitanie correspondant au code postal %(code)s.")
                    % {"code": code},
                )
            else:
                cleaned["commune"] = commune
        return cleaned

    @property
    def commune_object(self) -> Commune:
        commune: Commune = self.cleaned_data["commune"]
        return commune
