"""Forms of the matching. Fields in error carry aria-invalid and point to their message."""

from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from maillage.core.forms import AccessibleForm
from maillage.geography.models import Departement

from .models import MatchingSettings


class MatchingSettingsForm(AccessibleForm):
    rural_departements = forms.MultipleChoiceField(
        label=_("Départements ruraux"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Cochés par défaut : les départements ruraux du référentiel géographique. "
            "Laisser la sélection du référentiel la fait suivre ses mises à jour."
        ),
    )

    def __init__(self, *args: Any, region_code: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_fields = {f.name: f for f in MatchingSettings._meta.fields}
        weights = {}
        for name in MatchingSettings.WEIGHT_FIELDS:
            field = model_fields[name]
            weights[name] = forms.DecimalField(
                label=capfirst(field.verbose_name),
                help_text=field.help_text,
                min_value=0,
                max_value=1000,
                max_digits=6,
                decimal_places=2,
                error_messages={
                    "min_value": _("Une pondération ne peut pas être négative."),
                    "max_value": _("Une pondération ne peut pas dépasser 1 000."),
                    "invalid": _("Saisissez un nombre, par exemple 12,5."),
                    "required": _("Indiquez une pondération (0 pour ignorer ce critère)."),
                    "max_decimal_places": _("Deux décimales au plus."),
                    "max_digits": _("Une pondération ne peut pas dépasser 1 000."),
                },
                localize=True,
            )
        # Weights first, in the model's order, then the départements.
        rural = self.fields.pop("rural_departements")
        self.fields.update(weights)
        self.fields["rural_departements"] = rural
        rural.choices = [  # type: ignore[attr-defined]
            (d.code, str(d)) for d in Departement.objects.filter(region_code=region_code)
        ]
        self.weight_names = list(MatchingSettings.WEIGHT_FIELDS)

    def weight_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.weight_names]


class AnswerForm(AccessibleForm):
    comment = forms.CharField(
        label=_("Commentaire (facultatif)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Par exemple la raison d'un refus, ou une période qui vous conviendrait."),
    )
