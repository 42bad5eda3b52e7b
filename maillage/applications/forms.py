"""The step forms of an application. Drafts may be incomplete: fields are optional here and
completeness is checked before submission (``selectors.missing_answers``); malformed values
are refused with a French message, and the view re-renders everything that was typed."""

import datetime
import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.calls.models import Programme, TransferFormat
from maillage.competences.models import Competence
from maillage.core.forms import AccessibleForm
from maillage.organisations.models import Organisation
from maillage.people.models import EmploymentStatus, ResourcePerson, User

from . import filetypes
from .selectors import HORIZON_DAYS

# "<" followed by a letter, "/", "!" or "?" starts an HTML tag or comment: refused in free text
# (the pages escape everything anyway; this tells the person instead of silently escaping).
MARKUP = re.compile(r"<\s*[a-zA-Z/!?]")
MAX_COMPETENCES = 3
DEFAULT_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ATTACHMENTS = 5


def upload_max_bytes() -> int:
    return int(getattr(settings, "MAILLAGE_UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES))


def max_attachments() -> int:
    return int(getattr(settings, "MAILLAGE_MAX_ATTACHMENTS", DEFAULT_MAX_ATTACHMENTS))


def no_markup(value: str) -> None:
    if value and MARKUP.search(value):
        raise ValidationError(
            _(
                "Ce texte contient une balise HTML ou du code (« < » suivi d'une lettre) : "
                "écrivez-le sans mise en forme, par exemple « moins de 5 » au lieu de « <5 »."
            ),
            code="markup",
        )


class TextField(forms.CharField):
    default_validators = [no_markup]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class RadioFieldset(forms.RadioSelect):
    """Rendered in a fieldset; the error summary links to the first option."""

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return super().id_for_label(id_, "0" if index is None else index)


class CheckboxFieldset(forms.CheckboxSelectMultiple):
    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return super().id_for_label(id_, "0" if index is None else index)


class ApplicantForm(forms.Form):
    first_name = TextField(label=_("Prénom"), max_length=100)
    last_name = TextField(label=_("Nom"), max_length=100)
    phone = TextField(
        label=_("Téléphone (facultatif)"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    job_title = TextField(
        label=_("Votre poste"),
        max_length=150,
        help_text=_("Par exemple : chargé·e de production, régisseur·se, administrateur·rice."),
    )
    employment_status = forms.ChoiceField(
        label=_("Votre statut"),
        choices=EmploymentStatus.choices,
        required=False,
        widget=RadioFieldset,
        help_text=_(
            "Salarié·e : votre employeur devra donner son accord. Dirigeant·e : vous donnez "
            "l'accord pour votre structure."
        ),
    )


class OrganisationChoiceForm(forms.Form):
    """A structure picked among the search results (radio buttons named "organisation")."""

    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.all(),
        required=False,
        label=_("Votre structure"),
        error_messages={
            "invalid_choice": _("Cette structure n'existe pas (ou plus) : cherchez-la à nouveau.")
        },
    )


class CompetenceChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Competence) -> str:
        return obj.label


class NeedForm(forms.Form):
    need = TextField(
        label=_("Votre besoin, dans vos mots"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Ce que vous voulez apprendre, pourquoi maintenant, dans quel contexte de travail. "
            "Des compétences vous sont suggérées pendant que vous écrivez."
        ),
    )
    competences = CompetenceChoiceField(
        label=_("Compétences visées (de 1 à 3)"),
        queryset=Competence.objects.filter(is_active=True),
        required=False,
        widget=CheckboxFieldset,
        error_messages={"invalid_choice": _("Cette compétence n'existe pas (ou plus).")},
    )
    expected_results = TextField(
        label=_("Résultats attendus"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Ce que vous saurez faire, ou ce qui aura changé dans votre travail, à l'issue du "
            "transfert."
        ),
    )

    def clean_competences(self) -> Any:
        competences = self.cleaned_data["competences"]
        if len(competences) > MAX_COMPETENCES:
            raise ValidationError(
                _("Choisissez au plus 3 compétences (vous en avez coché %(count)s)."),
                code="too_many",
                params={"count": len(competences)},
            )
        return competences


class ModalitiesForm(forms.Form):
    formats = forms.MultipleChoiceField(
        label=_("Formats souhaités"),
        choices=TransferFormat.choices,
        required=False,
        widget=CheckboxFieldset,
        help_text=_("Cochez tous les formats qui vous conviennent."),
    )
    desired_start = forms.DateField(
        label=_("Début souhaité"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("Saisissez une date valide (jj/mm/aaaa).")},
    )
    desired_end = forms.DateField(
        label=_("Fin souhaitée"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("Saisissez une date valide (jj/mm/aaaa).")},
    )
    days = forms.IntegerField(
        label=_("Nombre de jours"),
        required=False,
        error_messages={"invalid": _("Saisissez un nombre entier de jours.")},
    )

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.today = timezone.localdate()
        low, high = programme.min_days_per_transfer, programme.max_days_per_transfer
        days = self.fields["days"]
        days.widget.attrs.update({"min": low, "max": high})
        days.help_text = _("De %(min)s à %(max)s jours, selon les règles du programme.") % {
            "min": low,
            "max": high,
        }
        horizon = self.today + datetime.timedelta(days=HORIZON_DAYS)
        for name in ("desired_start", "desired_end"):
            self.fields[name].widget.attrs.update(
                {"min": self.today.isoformat(), "max": horizon.isoformat()}
            )

    def clean_days(self) -> int | None:
        days: int | None = self.cleaned_data.get("days")
        low, high = self.programme.min_days_per_transfer, self.programme.max_days_per_transfer
        if days is not None and not low <= days <= high:
            raise ValidationError(
                _(
                    "Le programme finance de %(min)s à %(max)s jours par transfert : vous en "
                    "demandez %(days)s."
                ),
                code="days_out_of_bounds",
                params={"min": low, "max": high, "days": days},
            )
        return days

    def clean_desired_start(self) -> datetime.date | None:
        start: datetime.date | None = self.cleaned_data.get("desired_start")
        if start is not None and start < self.today:
            raise ValidationError(
                _(
                    "La date de début ne peut pas être passée : choisissez une date à partir "
                    "d'aujourd'hui."
                ),
                code="past",
            )
        self._check_horizon(start)
        return start

    def clean_desired_end(self) -> datetime.date | None:
        end: datetime.date | None = self.cleaned_data.get("desired_end")
        if end is not None and end < self.today:
            raise ValidationError(_("La date de fin ne peut pas être passée."), code="past")
        self._check_horizon(end)
        return end

    def _check_horizon(self, day: datetime.date | None) -> None:
        if day is not None and day > self.today + datetime.timedelta(days=HORIZON_DAYS):
            raise ValidationError(
                _("Choisissez une date dans les 18 prochains mois."), code="too_far"
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end, days = (
            cleaned.get("desired_start"),
            cleaned.get("desired_end"),
            cleaned.get("days"),
        )
        if start and end:
            if end < start:
                self.add_error(
                    "desired_end",
                    ValidationError(
                        _("La fin doit être postérieure ou égale au début."), code="order"
                    ),
                )
            elif days and (end - start).days + 1 < days:
                self.add_error(
                    "desired_end",
                    ValidationError(
                        _("La période choisie est plus courte que les %(days)s jours demandés."),
                        code="too_short",
                        params={"days": days},
                    ),
                )
        return cleaned


class ResourcePersonForm(forms.Form):
    proposed_resource_person = forms.ModelChoiceField(
        queryset=ResourcePerson.objects.listed(),
        required=False,
        label=_("Personne-ressource de l'annuaire"),
        error_messages={
            "invalid_choice": _("Cette personne-ressource n'est plus disponible dans l'annuaire.")
        },
    )
    proposed_external_name = TextField(
        label=_("Nom de la personne (hors annuaire)"), max_length=200
    )
    proposed_external_organisation = TextField(label=_("Sa structure"), max_length=200)

    def __init__(self, *args: Any, applicant: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.applicant = applicant

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        person = cleaned.get("proposed_resource_person")
        name = cleaned.get("proposed_external_name", "")
        organisation = cleaned.get("proposed_external_organisation", "")
        if person is not None and person.user_id == self.applicant.pk:
            self.add_error(
                "proposed_resource_person",
                _("Vous ne pouvez pas vous proposer vous-même comme personne-ressource."),
            )
        if person is not None and (name or organisation):
            self.add_error(
                "proposed_external_name",
                _(
                    "Vous avez choisi une personne de l'annuaire : videz les champs « hors "
                    "annuaire », ou choisissez « Aucune » dans l'annuaire."
                ),
            )
        elif organisation and not name:
            self.add_error("proposed_external_name", _("Indiquez le nom de la personne."))
        elif name and not organisation:
            self.add_error(
                "proposed_external_organisation", _("Indiquez la structure de la personne.")
            )
        return cleaned


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("Ajouter un document (PDF, ODT ou DOCX)"),
        error_messages={
            "required": _("Choisissez un fichier à ajouter."),
            "empty": _("Le fichier envoyé est vide."),
        },
        widget=forms.FileInput(
            attrs={
                "accept": ".pdf,.odt,.docx,application/pdf,application/vnd.oasis.opendocument.text,"
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
        ),
    )

    def __init__(self, *args: Any, existing: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.existing = existing
        self.kind: str | None = None
        self.fields["file"].help_text = _(
            "Jusqu'à %(count)s documents de %(size)s au plus chacun : CV, présentation de votre "
            "structure, fiche de poste…"
        ) % {"count": max_attachments(), "size": filesizeformat(upload_max_bytes())}

    def clean_file(self) -> UploadedFile:
        uploaded: UploadedFile = self.cleaned_data["file"]
        name = uploaded.name or ""
        if self.existing >= max_attachments():
            raise ValidationError(
                _(
                    "Vous avez déjà joint %(count)s documents, le maximum : supprimez-en un "
                    "d'abord."
                ),
                code="too_many",
                params={"count": self.existing},
            )
        if (uploaded.size or 0) > upload_max_bytes():
            raise ValidationError(
                _("« %(name)s » pèse %(size)s : la taille maximale est de %(max)s par document."),
                code="too_large",
                params={
                    "name": name,
                    "size": filesizeformat(uploaded.size or 0),
                    "max": filesizeformat(upload_max_bytes()),
                },
            )
        verdict = filetypes.inspect(name, uploaded.file) if uploaded.file is not None else None
        if verdict is None or verdict.kind is None:
            raise ValidationError(
                _(
                    "« %(name)s » n'est pas un document PDF, ODT ou DOCX valide (son contenu a "
                    "été vérifié, quelle que soit son extension) : enregistrez-le dans l'un de "
                    "ces formats."
                ),
                code="bad_type",
                params={"name": name},
            )
        params = {
            "name": name,
            "format": verdict.kind.upper(),
            "extension": filetypes.EXTENSIONS[verdict.kind],
        }
        if verdict.problem == filetypes.WRONG_EXTENSION:
            raise ValidationError(
                _(
                    "« %(name)s » est en réalité un document %(format)s : son nom doit se "
                    "terminer par « %(extension)s ». Renommez-le, puis ajoutez-le de nouveau."
                ),
                code="wrong_extension",
                params=params,
            )
        if verdict.problem == filetypes.POLYGLOT:
            raise ValidationError(
                _(
                    "« %(name)s » n'est pas un document %(format)s ordinaire : il est incomplet "
                    "ou contient aussi des données d'un autre format. Enregistrez-le de nouveau "
                    "depuis votre logiciel (« Enregistrer sous » ou « Exporter en PDF »), puis "
                    "ajoutez-le."
                ),
                code="polyglot",
                params=params,
            )
        if verdict.problem == filetypes.ACTIVE_CONTENT:
            raise ValidationError(
                _(
                    "« %(name)s » contient des macros ou du code exécutable, refusés par "
                    "sécurité : enregistrez-le sans macros (par exemple en PDF), puis "
                    "ajoutez-le de nouveau."
                ),
                code="active_content",
                params=params,
            )
        self.kind = verdict.kind
        return uploaded


class EmployerForm(forms.Form):
    employer_signatory_name = TextField(
        label=_("Nom de la personne qui signe pour votre employeur"),
        max_length=200,
        help_text=_(
            "Votre directeur·rice, président·e ou la personne habilitée à engager la structure."
        ),
    )
    employer_signatory_email = forms.EmailField(
        label=_("Son adresse e-mail"),
        required=False,
        error_messages={
            "invalid": _("Saisissez une adresse e-mail valide, par exemple nom@structure.fr.")
        },
    )

    def __init__(self, *args: Any, applicant: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.applicant = applicant

    def clean_employer_signatory_email(self) -> str:
        email = (self.cleaned_data.get("employer_signatory_email") or "").strip().lower()
        if email and email == self.applicant.email.lower():
            raise ValidationError(
                _(
                    "C'est votre propre adresse : l'accord doit venir d'une autre personne de "
                    "votre structure."
                ),
                code="self",
            )
        return email


class SubmitForm(forms.Form):
    attestation = forms.BooleanField(
        label=_(
            "J'atteste l'exactitude des informations de cette candidature et j'accepte qu'elles "
            "soient transmises à la coordination et au comité de sélection."
        ),
        error_messages={"required": _("Cochez l'attestation pour déposer votre candidature.")},
    )


class EmployerDecisionForm(forms.Form):
    comment = TextField(
        label=_("Commentaire (facultatif)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Transmis à la personne candidate ; utile surtout en cas de refus."),
    )


# --------------------------------------------------------------------------------------------
# Back office (coordination) and messages
# --------------------------------------------------------------------------------------------


class MessageForm(AccessibleForm):
    body = TextField(
        label=_("Votre message"),
        required=True,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Écrivez votre message.")},
    )


class StaffMessageForm(MessageForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("Message à la personne candidate")
        self.fields["body"].help_text = _(
            "Elle le reçoit par e-mail, avec un lien pour répondre depuis la plateforme."
        )


class StaffNoteForm(AccessibleForm):
    body = TextField(
        label=_("Note interne"),
        required=True,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Visible de la coordination seulement : ni la personne candidate ni le comité."
        ),
        error_messages={"required": _("Écrivez la note.")},
    )


class CompletionRequestForm(AccessibleForm):
    reason = TextField(
        label=_("Ce qu'il faut compléter"),
        required=True,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Envoyé par e-mail à la personne candidate et affiché sur sa candidature."),
        error_messages={"required": _("Indiquez ce qu'il faut compléter.")},
    )


class NoFollowUpForm(AccessibleForm):
    motivation = TextField(
        label=_("Motif du classement sans suite"),
        required=True,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Par exemple : candidature retirée, jamais complétée."),
        error_messages={"required": _("Indiquez le motif.")},
    )


class StaffEditForm(AccessibleForm):
    """The few answers the coordination may correct; ``version`` detects concurrent edits."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    days = forms.IntegerField(
        label=_("Nombre de jours"),
        required=False,
        error_messages={"invalid": _("Saisissez un nombre entier de jours.")},
    )
    desired_start = forms.DateField(
        label=_("Début souhaité"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("Saisissez une date valide (jj/mm/aaaa).")},
    )
    desired_end = forms.DateField(
        label=_("Fin souhaitée"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("Saisissez une date valide (jj/mm/aaaa).")},
    )
    competences = CompetenceChoiceField(
        label=_("Compétences visées (de 1 à 3)"),
        queryset=Competence.objects.filter(is_active=True).select_related("domain"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Maintenez Ctrl (ou Cmd) pour en choisir plusieurs."),
        error_messages={"invalid_choice": _("Cette compétence n'existe pas (ou plus).")},
    )
    formats = forms.MultipleChoiceField(
        label=_("Formats"),
        choices=TransferFormat.choices,
        required=False,
        widget=CheckboxFieldset,
    )

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.programme = programme
        low, high = programme.min_days_per_transfer, programme.max_days_per_transfer
        self.fields["days"].widget.attrs.update({"min": low, "max": high})
        self.fields["days"].help_text = _("De %(min)s à %(max)s jours.") % {
            "min": low,
            "max": high,
        }

    def clean_days(self) -> int | None:
        days: int | None = self.cleaned_data.get("days")
        low, high = self.programme.min_days_per_transfer, self.programme.max_days_per_transfer
        if days is not None and not low <= days <= high:
            raise ValidationError(
                _("Le programme finance de %(min)s à %(max)s jours par transfert."),
                code="days_out_of_bounds",
                params={"min": low, "max": high},
            )
        return days

    def clean_competences(self) -> Any:
        competences = self.cleaned_data["competences"]
        if not 1 <= len(competences) <= MAX_COMPETENCES:
            raise ValidationError(
                _("Choisissez de 1 à 3 compétences (vous en avez choisi %(count)s)."),
                code="count",
                params={"count": len(competences)},
            )
        return competences

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("desired_start"), cleaned.get("desired_end")
        if start and end and end < start:
            self.add_error(
                "desired_end",
                ValidationError(_("La fin doit être postérieure ou égale au début."), code="order"),
            )
        return cleaned


ELIGIBILITY_CHOICES = [("", _("Toutes")), ("oui", _("Éligibles")), ("non", _("Non éligibles"))]


def _set_choices(form: forms.Form, name: str, choices: list[Any]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class BackofficeFilterForm(forms.Form):
    """The list's filters (GET). Invalid values are ignored rather than shown as errors."""

    appel = forms.TypedChoiceField(label=_("Appel"), coerce=int, required=False)
    etat = forms.ChoiceField(label=_("État"), required=False)
    departement = forms.ChoiceField(label=_("Département"), required=False)
    domaine = forms.TypedChoiceField(label=_("Domaine"), coerce=int, required=False)
    # Not "format": that name is the export's file format.
    modalite = forms.ChoiceField(label=_("Format"), required=False)
    eligibilite = forms.ChoiceField(
        label=_("Éligibilité au dépôt"), choices=ELIGIBILITY_CHOICES, required=False
    )
    evaluateur = forms.TypedChoiceField(label=_("Évaluateur·rice"), coerce=int, required=False)
    q = forms.CharField(label=_("Recherche"), required=False, max_length=200)
    tri = forms.ChoiceField(label=_("Trier par"), required=False)

    def __init__(
        self,
        *args: Any,
        calls: list[tuple[int, str]],
        states: list[tuple[str, str]],
        departements: list[tuple[str, str]],
        domains: list[tuple[int, str]],
        reviewers: list[tuple[int, str]],
        sorts: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        every = [("", _("Tous"))]
        _set_choices(self, "appel", calls)
        _set_choices(self, "etat", [*every, *states])
        _set_choices(self, "departement", [*every, *departements])
        _set_choices(self, "domaine", [*every, *domains])
        _set_choices(self, "modalite", [*every, *TransferFormat.choices])
        _set_choices(self, "tri", sorts)
        if reviewers:
            _set_choices(self, "evaluateur", [*every, *reviewers])
        else:
            del self.fields["evaluateur"]
        self.fields["q"].widget.attrs["type"] = "search"


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("Format du fichier"),
        choices=[
            ("csv", _("CSV (texte, séparateur point-virgule)")),
            ("xlsx", _("Excel (XLSX)")),
            ("ods", _("OpenDocument (ODS)")),
        ],
        initial="xlsx",
        widget=RadioFieldset,
    )
    columns = forms.MultipleChoiceField(
        label=_("Colonnes"),
        widget=CheckboxFieldset,
        error_messages={"required": _("Choisissez au moins une colonne.")},
    )

    def __init__(self, *args: Any, columns: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "columns", columns)
