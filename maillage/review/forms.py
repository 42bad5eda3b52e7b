"""Forms of the selection. Fields in error carry aria-invalid and point to their message."""

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.template import TemplateSyntaxError
from django.utils.translation import gettext_lazy as _

from maillage.core.forms import AccessibleForm

from . import emailing
from .models import ConflictKind, Criterion, Outcome


class CriterionForm(AccessibleForm):
    label = forms.CharField(label=_("Critère"), max_length=150)
    description = forms.CharField(
        label=_("Ce qu'on évalue"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    weight = forms.DecimalField(
        label=_("Coefficient"),
        min_value=Decimal("0.01"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        error_messages={"min_value": _("Le coefficient doit être strictement positif.")},
    )
    scale_max = forms.IntegerField(
        label=_("Note maximale"),
        min_value=1,
        max_value=20,
        help_text=_("Les notes vont de 0 à cette valeur (par exemple 5 ou 10)."),
    )


class BaseCriterionFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if not self.rows():
            raise forms.ValidationError(_("La grille doit comporter au moins un critère."))

    def rows(self) -> list[dict[str, Any]]:
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data
            and form.cleaned_data.get("label")
            and not form.cleaned_data.get("DELETE")
        ]


CriterionFormSet = forms.formset_factory(
    CriterionForm, formset=BaseCriterionFormSet, extra=1, can_delete=True, max_num=12
)


class AutoAssignForm(AccessibleForm):
    per_application = forms.IntegerField(
        label=_("Membres du comité par candidature"), min_value=1, max_value=6, initial=2
    )


class AssignForm(AccessibleForm):
    reviewer = forms.TypedChoiceField(label=_("Membre du comité"), coerce=int)

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["reviewer"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "—"), *choices]


class ConflictForm(AccessibleForm):
    kind = forms.ChoiceField(
        label=_("Votre déclaration"),
        choices=ConflictKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez une réponse.")},
    )
    note = forms.CharField(
        label=_("Précision (obligatoire pour « Autre raison »)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == ConflictKind.OTHER and not data.get("note", "").strip():
            self.add_error("note", _("Précisez la nature du conflit d'intérêts."))
        return data


class ReviewForm(AccessibleForm):
    """One radio group (0..scale_max) and one comment per criterion, then an overall comment."""

    overall_comment = forms.CharField(
        label=_("Appréciation générale"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, criteria: list[Criterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"score_{criterion.pk}"] = forms.TypedChoiceField(
                label=criterion.label,
                choices=[(str(v), str(v)) for v in range(criterion.scale_max + 1)],
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=_("Commentaire sur « %(label)s »") % {"label": criterion.label},
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def rows(self) -> list[tuple[Criterion, forms.BoundField, forms.BoundField]]:
        return [(c, self[f"score_{c.pk}"], self[f"comment_{c.pk}"]) for c in self.criteria]

    def values(self) -> dict[int, int | None]:
        return {c.pk: self.cleaned_data.get(f"score_{c.pk}") for c in self.criteria}

    def comments(self) -> dict[int, str]:
        return {c.pk: self.cleaned_data.get(f"comment_{c.pk}", "") for c in self.criteria}


class SessionForm(AccessibleForm):
    title = forms.CharField(label=_("Intitulé de la séance"), max_length=200)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))


class DecisionsForm(AccessibleForm):
    """A decision and a motivation per application on the agenda."""

    def __init__(self, *args: Any, item_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item_ids = item_ids
        for pk in item_ids:
            self.fields[f"decision_{pk}"] = forms.ChoiceField(
                label=_("Décision"),
                choices=[("", _("— à décider —")), *Outcome.choices],
                required=False,
            )
            self.fields[f"motivation_{pk}"] = forms.CharField(
                label=_("Motivation"),
                required=False,
                max_length=3000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for pk in self.item_ids:
            if (
                data.get(f"decision_{pk}") == Outcome.REFUSED
                and not (data.get(f"motivation_{pk}") or "").strip()
            ):
                self.add_error(
                    f"motivation_{pk}", _("Un refus doit être motivé : la personne le lira.")
                )
        return data

    def decisions(self) -> dict[int, tuple[str, str]]:
        return {
            pk: (self.cleaned_data[f"decision_{pk}"], self.cleaned_data[f"motivation_{pk}"])
            for pk in self.item_ids
        }

    def fields_of(self, pk: int) -> tuple[forms.BoundField, forms.BoundField]:
        return self[f"decision_{pk}"], self[f"motivation_{pk}"]


class LockForm(AccessibleForm):
    confirm_over_envelope = forms.BooleanField(
        label=_("Je confirme le dépassement de l'enveloppe de l'appel"), required=False
    )


VARIABLE_PATTERN = re.compile(r"{{\s*([A-Za-z_][A-Za-z0-9_]*)")
TAG_PATTERN = re.compile(r"{%\s*(if|elif)\s+(?:not\s+)?([A-Za-z_][A-Za-z0-9_]*)")


class EmailTemplateForm(AccessibleForm):
    subject = forms.CharField(label=_("Objet"), max_length=200)
    body = forms.CharField(
        label=_("Texte de l'e-mail"), max_length=10000, widget=forms.Textarea(attrs={"rows": 16})
    )

    def _check(self, name: str) -> str:
        text = self.cleaned_data[name]
        try:
            emailing.check_syntax(text)
        except TemplateSyntaxError as error:
            raise forms.ValidationError(
                _("Le modèle contient une erreur de syntaxe : %(error)s") % {"error": error}
            ) from error
        names = set(VARIABLE_PATTERN.findall(text)) | {m[1] for m in TAG_PATTERN.findall(text)}
        unknown = sorted(names - set(emailing.VARIABLES))
        if unknown:
            raise forms.ValidationError(
                _("Variable inconnue : %(names)s. Utilisez uniquement les variables listées.")
                % {"names": ", ".join(unknown)}
            )
        return text

    def clean_subject(self) -> str:
        return self._check("subject")

    def clean_body(self) -> str:
        return self._check("body")
