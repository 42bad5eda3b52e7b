"""The directory's search form (GET): every field optional, invalid ones reported and ignored."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from maillage.calls.models import TransferFormat
from maillage.competences.models import Competence, Domain
from maillage.geography.models import Commune, Departement
from maillage.geography.selectors import communes_for_postal_code

from .selectors import Criteria


class FastSelect(forms.Select):
    """A select rendered in Python: the stock widget renders one template per option, which
    for the ~100 competences cost more than the whole search."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts: list[str] = [format_html('<select name="{}"{}>', name, flatatt(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('<optgroup label="{}">', group_name))
            parts.extend(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    "" if option["value"] is None else option["value"],
                    flatatt(option["attrs"]),
                    option["label"],
                )
                for option in options
            )
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every part is escaped by format_html)


RADIUS_CHOICES = [(10, "10 km"), (25, "25 km"), (50, "50 km"), (100, "100 km"), (200, "200 km")]
DEFAULT_RADIUS = 50


class DirectorySearchForm(forms.Form):
    q = forms.CharField(
        label=_("Mots-clés"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("ex. : régie, paie, subventions…")}
        ),
        help_text=_("Métier, savoir-faire, outil, nom ou structure."),
    )
    competence = forms.TypedChoiceField(
        label=_("Compétence"), required=False, coerce=int, empty_value=None, widget=FastSelect
    )
    domaine = forms.TypedChoiceField(
        label=_("Domaine"), required=False, coerce=int, empty_value=None, widget=FastSelect
    )
    departement = forms.ChoiceField(label=_("Département"), required=False, widget=FastSelect)
    format = forms.ChoiceField(
        label=_("Format du transfert"),
        required=False,
        choices=[("", _("Tous les formats")), *TransferFormat.choices],
        widget=FastSelect,
    )
    code_postal = forms.CharField(
        label=_("Code postal"),
        required=False,
        max_length=5,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
        help_text=_("Pour chercher autour d'une commune."),
    )
    commune = forms.ChoiceField(label=_("Commune"), required=False, widget=FastSelect)
    rayon = forms.TypedChoiceField(
        label=_("Rayon"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=RADIUS_CHOICES,
        initial=DEFAULT_RADIUS,
        widget=FastSelect,
    )
    deplacement = forms.BooleanField(
        label=_("Seulement les personnes qui peuvent se déplacer jusqu'à moi"), required=False
    )

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        if data is not None and not data.get("rayon"):
            # A bound form ignores ``initial``: without this, the select would show 10 km.
            data = data.copy()
            data["rayon"] = str(DEFAULT_RADIUS)
        super().__init__(data, **kwargs)
        domains: dict[int, tuple[Domain, list[tuple[int, str]]]] = {}
        for competence in Competence.objects.filter(is_active=True).select_related("domain"):
            domain = competence.domain
            domains.setdefault(domain.pk, (domain, []))[1].append((competence.pk, competence.label))
        competence_field = self.fields["competence"]
        assert isinstance(competence_field, forms.ChoiceField)
        competence_field.choices = [
            ("", _("Toutes les compétences")),
            *[(domain.label, options) for domain, options in domains.values()],
        ]
        domain_field = self.fields["domaine"]
        assert isinstance(domain_field, forms.ChoiceField)
        domain_field.choices = [
            ("", _("Tous les domaines")),
            *[(domain.pk, domain.label) for domain, _options in domains.values()],
        ]
        departement_field = self.fields["departement"]
        assert isinstance(departement_field, forms.ChoiceField)
        departement_field.choices = [
            ("", _("Tous les départements")),
            *[(d.code, f"{d.code} — {d.name}") for d in Departement.objects.all()],
        ]
        # Communes of the typed postal code, so the select works without JavaScript too.
        self.communes = list(communes_for_postal_code(self.data.get("code_postal", "")))
        commune_field = self.fields["commune"]
        assert isinstance(commune_field, forms.ChoiceField)
        commune_field.choices = [
            ("", _("Saisissez d'abord un code postal")),
            *[(c.insee_code, f"{c.name} ({c.departement_id})") for c in self.communes],
        ]
        if self.communes:
            commune_field.choices[0] = ("", _("Choisissez une commune"))
        # With JavaScript, typing a postal code fills the commune list (progressive
        # enhancement of the plain form, which resolves the postal code on submit).
        self.fields["code_postal"].widget.attrs.update(
            {
                "hx-get": reverse("geography:commune_lookup"),
                "hx-target": "#id_commune",
                "hx-swap": "innerHTML",
                "hx-trigger": "input changed delay:300ms, change",
                "hx-push-url": "false",
                "hx-sync": "this:replace",
            }
        )
        # Live results already follow the typing: the browser's history list would cover them.
        self.fields["q"].widget.attrs["autocomplete"] = "off"

    def clean_code_postal(self) -> str:
        code = (self.cleaned_data.get("code_postal") or "").strip()
        if code and (len(code) != 5 or not code.isdigit()):
            raise forms.ValidationError(_("Un code postal compte 5 chiffres, par exemple 31000."))
        if code and not self.communes:
            raise forms.ValidationError(_("Aucune commune d'Occitanie n'a ce code postal."))
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("code_postal") and not data.get("commune"):
            if len(self.communes) == 1:
                data["commune"] = self.communes[0].insee_code
            elif self.communes:
                self.add_error(
                    "commune", _("Choisissez votre commune parmi celles de ce code postal.")
                )
        if data.get("deplacement") and not data.get("commune"):
            self.add_error(
                "deplacement",
                _("Indiquez votre code postal et votre commune pour utiliser ce filtre."),
            )
        return data

    def selected_commune(self) -> Commune | None:
        code = self.cleaned_data.get("commune") if hasattr(self, "cleaned_data") else None
        return next((c for c in self.communes if c.insee_code == code), None)

    def criteria(self) -> Criteria:
        """What to search for: the valid fields only (an invalid one is reported, not used)."""
        self.is_valid()
        data = self.cleaned_data
        commune = self.selected_commune()
        return Criteria(
            text=data.get("q") or "",
            competence_id=data.get("competence"),
            domain_id=data.get("domaine"),
            departement=data.get("departement") or "",
            format=data.get("format") or "",
            commune=commune,
            radius_km=(data.get("rayon") or DEFAULT_RADIUS) if commune else None,
            reachable=bool(data.get("deplacement")) and commune is not None,
        )
