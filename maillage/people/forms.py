import re
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from maillage.calls.models import TransferFormat
from maillage.core.emails import queue_email
from maillage.geography.selectors import communes_for_postal_code
from maillage.organisations.forms import OrganisationForm
from maillage.organisations.models import Organisation

from .models import MONTHS, EmploymentStatus, Gender, Level, ResourcePerson, Role, User
from .services import CONSENT_FIELDS
from .two_factor import TOTP_PATTERN, looks_like_recovery_code, normalise_code

# Digits, spaces, dots, dashes and an optional leading +: French and foreign numbers.
PHONE_PATTERN = re.compile(r"\+?[0-9][0-9 .\-]{7,18}[0-9]")


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Adresse e-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    error_messages = {
        "invalid_login": _(
            "Adresse e-mail ou mot de passe incorrect. Vérifiez votre saisie "
            "(les majuscules comptent dans le mot de passe)."
        ),
        "inactive": _("Ce compte est désactivé. Contactez l'équipe de coordination."),
    }

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the e-mail goes through the outbox (retries, sent once), and
    open to active accounts that have no password yet.

    Django skips accounts without a usable password (meant for single sign-on users). Here
    they are people the coordination created (a spreadsheet import, an invitation not yet
    taken up): proving they own the address is exactly how they should claim the account.
    Erased and deactivated accounts stay inactive, so they still get nothing.
    """

    def get_users(self, email: str) -> Iterator[Any]:
        wanted = email.casefold()
        for user in User.objects.filter(email__iexact=email, is_active=True):
            if user.email.casefold() == wanted:
                yield user

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        from django.template import loader

        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        queue_email(subject, body, [to_email])


# --------------------------------------------------------------------------------------------
# Sign-up, account, resource-person profile, consents, coordination
# --------------------------------------------------------------------------------------------


class Intent(models.TextChoices):
    """What a person signing up wants to do; each maps to one or two roles."""

    APPLICANT = "applicant", _("candidater pour bénéficier d'un transfert (mentoré·e)")
    RESOURCE_PERSON = "resource_person", _("transmettre mon savoir-faire (personne-ressource)")
    BOTH = "both", _("les deux")


INTENT_ROLES: dict[str, list[str]] = {
    Intent.APPLICANT: [Role.APPLICANT],
    Intent.RESOURCE_PERSON: [Role.RESOURCE_PERSON],
    Intent.BOTH: [Role.APPLICANT, Role.RESOURCE_PERSON],
}


class PasswordPairMixin:
    """Two password fields checked with the project's validators (French messages)."""

    cleaned_data: dict[str, Any]
    add_error: Any

    def check_password_pair(self, user: User) -> None:
        password1 = self.cleaned_data.get("password1")
        password2 = self.cleaned_data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error(
                "password2", _("Les deux mots de passe ne sont pas identiques : retapez-les.")
            )
            return
        if password1:
            try:
                password_validation.validate_password(password1, user)
            except ValidationError as error:
                self.add_error("password1", error)


PASSWORD_HELP = _(
    "Au moins 12 caractères, ni trop courant, ni construit à partir de votre nom, de votre "
    "e-mail ou du nom du dispositif, ni une suite comme « 123456789012 ». Une phrase de "
    "quelques mots convient bien."
)


def password_fields() -> tuple[forms.CharField, forms.CharField]:
    first = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=PASSWORD_HELP,
        error_messages={"required": _("Choisissez un mot de passe.")},
    )
    second = forms.CharField(
        label=_("Confirmation du mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Retapez le mot de passe pour le confirmer.")},
    )
    return first, second


DUPLICATE_EMAIL = _(
    "Un compte existe déjà avec cette adresse. Connectez-vous, ou utilisez "
    "« Mot de passe oublié » si vous ne vous en souvenez plus."
)


class SignUpForm(PasswordPairMixin, forms.Form):
    first_name = forms.CharField(
        label=_("Prénom"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
        error_messages={"required": _("Indiquez votre prénom.")},
    )
    last_name = forms.CharField(
        label=_("Nom"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
        error_messages={"required": _("Indiquez votre nom.")},
    )
    email = forms.EmailField(
        label=_("Adresse e-mail"),
        help_text=_("Elle sert d'identifiant de connexion ; nous y envoyons les notifications."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("Indiquez votre adresse e-mail."),
            "invalid": _("Saisissez une adresse e-mail valide, par exemple prenom.nom@exemple.fr."),
        },
    )
    password1, password2 = password_fields()
    intent = forms.ChoiceField(
        label=_("Je souhaite…"),
        choices=Intent.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Dites-nous ce que vous souhaitez faire sur la plateforme.")},
    )
    privacy = forms.BooleanField(
        label=_("J'ai lu la notice ci-dessus et j'accepte que ces données soient conservées"),
        error_messages={
            "required": _("Pour créer un compte, acceptez la notice sur vos données personnelles.")
        },
    )

    def clean_first_name(self) -> str:
        return self.cleaned_data["first_name"].strip()

    def clean_last_name(self) -> str:
        return self.cleaned_data["last_name"].strip()

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email=email).exists():
            raise ValidationError(DUPLICATE_EMAIL, code="duplicate_email")
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # An unsaved user lets the similarity validator compare the password with the name.
        self.check_password_pair(
            User(
                email=cleaned.get("email", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
        )
        return cleaned

    @property
    def roles(self) -> list[str]:
        return INTENT_ROLES[self.cleaned_data["intent"]]


class InvitationPasswordForm(PasswordPairMixin, forms.Form):
    """Set the first password of an invited account (same checks as the sign-up)."""

    password1, password2 = password_fields()

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.check_password_pair(self.user)
        return cleaned

    def save(self, commit: bool = True) -> User:
        self.user.set_password(self.cleaned_data["password1"])
        if commit:
            self.user.save(update_fields=["password"])
        return self.user


class AccountForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "phone", "job_title", "employment_status", "gender"]
        labels = {
            "first_name": _("Prénom"),
            "last_name": _("Nom"),
            "phone": _("Téléphone (facultatif)"),
            "job_title": _("Poste occupé"),
            "employment_status": _("Statut dans la structure"),
            "gender": _("Genre (facultatif)"),
        }
        help_texts = {
            "phone": _("Utile à l'équipe de coordination pour organiser un transfert."),
            "job_title": _("Par exemple : chargée de production, régisseur général, directrice."),
            "gender": _(
                "Sert uniquement à des statistiques anonymes sur l'égalité d'accès au "
                "dispositif. Cette information n'est jamais montrée au comité de sélection."
            ),
        }
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "employment_status": forms.RadioSelect,
            "gender": forms.RadioSelect,
        }
        error_messages = {
            "first_name": {"required": _("Indiquez votre prénom.")},
            "last_name": {"required": _("Indiquez votre nom.")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # RadioSelect would otherwise show Django's "---------" blank choice.
        choices = {"employment_status": EmploymentStatus.choices, "gender": Gender.choices}
        for name, values in choices.items():
            field = self.fields.get(name)
            if isinstance(field, forms.ChoiceField):
                field.choices = values

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data.get("phone", "").strip()
        if phone and not PHONE_PATTERN.fullmatch(phone):
            raise ValidationError(
                _("Saisissez un numéro de téléphone, par exemple 05 61 00 00 00 ou +33 5 61…")
            )
        return phone


class JobForm(AccountForm):
    """Only the job part of the account, shown on the resource-person profile page."""

    class Meta(AccountForm.Meta):
        fields = ["job_title", "employment_status"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, message in [
            ("job_title", _("Indiquez le poste que vous occupez.")),
            ("employment_status", _("Indiquez votre statut dans la structure.")),
        ]:
            self.fields[name].required = True
            self.fields[name].error_messages["required"] = message


class OrganisationMode(models.TextChoices):
    KEEP = "keep", _("garder")
    SEARCH = "search", _("choisir")
    CREATE = "create", _("créer")


class OrganisationChoiceForm(forms.Form):
    """Which structure: keep the current one, pick a registered one, or create it.

    The picked structure arrives from the radio buttons of the organisations:search htmx
    results (named ``organisation``); creation uses an OrganisationForm with prefix "org".
    """

    mode = forms.ChoiceField(
        label=_("Votre structure"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Indiquez comment renseigner votre structure.")},
    )
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.select_related("commune"),
        required=False,
        label=_("Structure trouvée"),
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": _("Cette structure n'existe plus : recherchez-la de nouveau.")
        },
    )

    def __init__(
        self,
        *args: Any,
        current: Organisation | None = None,
        required: bool = False,
        keep_label: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.current = current
        choices: list[tuple[str, Any]] = []
        if current is not None:
            choices.append(
                (
                    OrganisationMode.KEEP,
                    _("Garder ma structure actuelle : %(name)s") % {"name": current.name},
                )
            )
        elif not required:
            choices.append((OrganisationMode.KEEP, keep_label or _("Je la renseignerai plus tard")))
        choices += [
            (OrganisationMode.SEARCH, _("Choisir une structure déjà inscrite sur la plateforme")),
            (OrganisationMode.CREATE, _("Ma structure n'est pas encore inscrite : la créer")),
        ]
        field = self.fields["mode"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
        if not self.is_bound and choices[0][0] == OrganisationMode.KEEP:
            self.initial.setdefault("mode", OrganisationMode.KEEP)
        self.org_form = OrganisationForm(self.data if self.is_bound else None, prefix="org")

    @property
    def wants_creation(self) -> bool:
        return self.is_bound and self.data.get(self.add_prefix("mode")) == OrganisationMode.CREATE

    def is_valid(self) -> bool:
        valid = super().is_valid()
        # The creation fields only count when the person chose to create a structure.
        if self.wants_creation:
            valid = self.org_form.is_valid() and valid
        return valid

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("mode") == OrganisationMode.SEARCH and not cleaned.get("organisation"):
            self.add_error(
                "organisation",
                _(
                    "Recherchez votre structure par son nom ou son SIRET et cochez-la dans la "
                    "liste, ou choisissez de la créer."
                ),
            )
        return cleaned

    @property
    def chosen(self) -> Organisation | None:
        """The structure picked in the search results (shown checked again after an error)."""
        if not self.is_bound:
            return None
        if hasattr(self, "cleaned_data") and self.cleaned_data.get("organisation"):
            organisation: Organisation = self.cleaned_data["organisation"]
            return organisation
        return None


class ResourcePersonForm(forms.ModelForm):
    postal_code = forms.CharField(
        label=_("Code postal de votre lieu de travail"),
        max_length=5,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
        error_messages={"required": _("Indiquez le code postal de votre lieu de travail.")},
    )
    commune = forms.CharField(
        label=_("Commune de travail"),
        max_length=5,
        widget=forms.Select,
        error_messages={"required": _("Choisissez votre commune de travail.")},
    )
    formats = forms.MultipleChoiceField(
        label=_("Formats de transfert que vous acceptez"),
        choices=TransferFormat.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Cochez au moins un format de transfert.")},
    )
    available_months = forms.TypedMultipleChoiceField(
        label=_("Mois où vous êtes disponible"),
        choices=MONTHS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Ne cochez rien si vous êtes disponible toute l'année."),
    )

    class Meta:
        model = ResourcePerson
        fields = [
            "years_of_experience",
            "summary",
            "days_per_year",
            "travel_radius_km",
            "accepts_matching",
        ]
        labels = {
            "years_of_experience": _("Années d'expérience dans le secteur"),
            "summary": _("Ce que je peux transmettre"),
            "days_per_year": _("Jours que vous pouvez consacrer aux transferts, par an"),
            "travel_radius_km": _("Distance de déplacement acceptée (en km)"),
            "accepts_matching": _(
                "J'accepte que l'équipe de coordination me propose des transferts"
            ),
        }
        help_texts = {
            "summary": _(
                "En quelques phrases : votre parcours, les savoir-faire que vous pouvez "
                "transmettre et votre façon de faire. 3 000 caractères au plus."
            ),
            "days_per_year": _("Un transfert dure de 1 à 5 jours. Entre 1 et 100 jours."),
            "travel_radius_km": _(
                "Jusqu'où vous acceptez de vous déplacer depuis votre commune (0 à 1 000 km)."
            ),
            "accepts_matching": _("Vous pourrez retirer cet accord à tout moment."),
        }
        widgets = {"summary": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        messages = {
            "years_of_experience": (0, 60, _("Indiquez un nombre d'années entre 0 et 60.")),
            "days_per_year": (1, 100, _("Indiquez un nombre de jours entre 1 et 100.")),
            "travel_radius_km": (0, 1000, _("Indiquez une distance entre 0 et 1 000 km.")),
        }
        for name, (low, high, message) in messages.items():
            field = self.fields[name]
            assert isinstance(field, forms.IntegerField)
            field.min_value, field.max_value = low, high
            field.widget.attrs.update({"min": low, "max": high})
            field.validators = [MinValueValidator(low), MaxValueValidator(high)]
            field.error_messages.update(
                {
                    "required": message,
                    "invalid": message,
                    "min_value": message,
                    "max_value": message,
                }
            )
        self.fields["summary"].error_messages.update(
            {"required": _("Décrivez en quelques phrases ce que vous pouvez transmettre.")}
        )
        profile: ResourcePerson | None = self.instance if self.instance.pk else None
        if profile is not None and not self.is_bound:
            self.initial.update(
                {
                    "postal_code": self.initial.get("postal_code", ""),
                    "commune": profile.commune_id,
                    "formats": [str(fmt) for fmt in profile.formats],
                    "available_months": profile.available_months,
                }
            )
        code = (
            self.data.get(self.add_prefix("postal_code"), "")
            if self.is_bound
            else self.initial.get("postal_code", "")
        )
        communes = list(communes_for_postal_code(code))
        if not self.is_bound and profile is not None and profile.commune not in communes:
            communes.append(profile.commune)
        self.fields["commune"].widget.choices = [
            (c.insee_code, f"{c.name} ({c.departement_id})") for c in communes
        ] or [("", _("Saisissez d'abord un code postal"))]

    def clean_postal_code(self) -> str:
        code: str = self.cleaned_data["postal_code"].strip()
        if not (len(code) == 5 and code.isdigit()):
            raise ValidationError(_("Le code postal doit comporter 5 chiffres."))
        return code

    def clean_summary(self) -> str:
        summary: str = self.cleaned_data["summary"].strip()
        if len(summary) < 20:
            raise ValidationError(
                _("Décrivez en quelques phrases (20 caractères au moins) ce que vous transmettez.")
            )
        return summary

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        code, insee = cleaned.get("postal_code"), cleaned.get("commune")
        if code and insee:
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


class CompetenceLinkForm(forms.Form):
    competence = forms.TypedChoiceField(
        label=_("Compétence"),
        coerce=int,
        empty_value=None,
        error_messages={
            "required": _("Choisissez une compétence dans la liste."),
            "invalid_choice": _("Choisissez une compétence dans la liste."),
        },
    )
    level = forms.TypedChoiceField(
        label=_("Niveau"),
        choices=Level.choices,
        coerce=int,
        initial=Level.PRACTITIONER,
        error_messages={"invalid_choice": _("Choisissez un niveau dans la liste.")},
    )
    description = forms.CharField(
        label=_("Ce que je transmets (facultatif)"),
        max_length=500,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("Par exemple : monter un budget de tournée")}
        ),
    )

    def __init__(
        self, *args: Any, competence_choices: list[Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["competence"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("— Choisir une compétence —")), *(competence_choices or [])]


class BaseCompetenceFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Retirer cette compétence")

    def clean(self) -> None:
        if any(self.errors):
            return
        chosen: list[int] = []
        for form in self.forms:
            if form.cleaned_data.get("DELETE"):
                continue
            competence = form.cleaned_data.get("competence")
            if competence is None:
                continue
            if competence in chosen:
                form.add_error(
                    "competence",
                    _("Cette compétence figure déjà plus haut : gardez une seule ligne."),
                )
                raise ValidationError(_("Chaque compétence ne peut figurer qu'une fois."))
            chosen.append(competence)
        if not chosen:
            raise ValidationError(
                _("Indiquez au moins une compétence que vous pouvez transmettre."), code="too_few"
            )
        if len(chosen) > MAX_COMPETENCES:
            raise ValidationError(
                _(
                    "Indiquez %(max)s compétences au plus : gardez celles où vous êtes "
                    "le plus à l'aise."
                )
                % {"max": MAX_COMPETENCES},
                code="too_many",
            )


def kept_competence_rows(formset: forms.BaseFormSet[Any]) -> list[dict[str, Any]]:
    """The rows of a valid CompetenceFormSet that carry a competence and are not removed."""
    return [
        form.cleaned_data
        for form in formset.forms
        if form.cleaned_data.get("competence") is not None and not form.cleaned_data.get("DELETE")
    ]


MAX_COMPETENCES = 8
CompetenceFormSet = forms.formset_factory(
    CompetenceLinkForm,
    formset=BaseCompetenceFormSet,
    extra=0,
    can_delete=True,
    max_num=MAX_COMPETENCES,
    absolute_max=MAX_COMPETENCES + 12,
)


class ConsentForm(forms.ModelForm):
    class Meta:
        model = ResourcePerson
        fields = list(CONSENT_FIELDS)
        labels = {
            "consent_directory": _("J'accepte d'apparaître dans l'annuaire public"),
            "consent_show_name": _("Afficher mon prénom et mon nom"),
            "consent_show_organisation": _("Afficher ma structure"),
            "consent_show_job": _("Afficher mon poste"),
            "consent_show_summary": _("Afficher ma présentation (« ce que je peux transmettre »)"),
            "consent_show_commune": _("Afficher ma commune de travail"),
        }
        # The preview (htmx) sends exactly these boxes: see people/consents.html.
        widgets = {name: forms.CheckboxInput(attrs={"data-consent": ""}) for name in CONSENT_FIELDS}


class SuspensionForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de la suspension"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Il est envoyé à la personne dans l'e-mail qui l'informe de la suspension."),
        error_messages={"required": _("Indiquez le motif de la suspension.")},
    )


class InvitationForm(forms.Form):
    first_name = forms.CharField(
        label=_("Prénom"), max_length=100, error_messages={"required": _("Indiquez le prénom.")}
    )
    last_name = forms.CharField(
        label=_("Nom"), max_length=100, error_messages={"required": _("Indiquez le nom.")}
    )
    email = forms.EmailField(
        label=_("Adresse e-mail"),
        error_messages={
            "required": _("Indiquez l'adresse e-mail de la personne."),
            "invalid": _("Saisissez une adresse e-mail valide, par exemple prenom.nom@exemple.fr."),
        },
    )

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip().lower()
        return email


# --------------------------------------------------------------------------------------------
# Password change and reset, second factor
# --------------------------------------------------------------------------------------------


def _french_new_password_fields(form: SetPasswordForm) -> None:
    """Django's own fields, with the project's help text and French messages."""
    form.fields["new_password1"].help_text = PASSWORD_HELP
    form.fields["new_password1"].error_messages["required"] = _("Choisissez un mot de passe.")
    form.fields["new_password2"].error_messages["required"] = _(
        "Retapez le mot de passe pour le confirmer."
    )
    # A copy: ``error_messages`` is a class attribute shared with Django's admin forms.
    form.error_messages = {
        **form.error_messages,
        "password_mismatch": _("Les deux mots de passe ne sont pas identiques : retapez-les."),
    }


class ProjectSetPasswordForm(SetPasswordForm):
    """Password reset through the e-mailed link."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _french_new_password_fields(self)


class ProjectPasswordChangeForm(PasswordChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _french_new_password_fields(self)
        self.fields["old_password"].label = _("Mot de passe actuel")
        self.fields["old_password"].error_messages["required"] = _(
            "Tapez votre mot de passe actuel."
        )
        self.error_messages = {
            **self.error_messages,
            "password_incorrect": _("Ce n'est pas votre mot de passe actuel : retapez-le."),
        }


def _code_field(*, recovery: bool) -> forms.CharField:
    attrs = {
        "autocomplete": "one-time-code",
        "autocapitalize": "none",
        "spellcheck": "false",
        "autofocus": True,
    }
    if not recovery:
        attrs["inputmode"] = "numeric"
    return forms.CharField(
        label=_("Code de vérification") if recovery else _("Code à 6 chiffres"),
        max_length=40,
        help_text=_(
            "Les 6 chiffres affichés par votre application d'authentification, ou l'un de "
            "vos codes de secours."
        )
        if recovery
        else _("Les 6 chiffres affichés en ce moment par votre application d'authentification."),
        widget=forms.TextInput(attrs=attrs),
        error_messages={"required": _("Saisissez le code de vérification.")},
    )


class SecondFactorCodeForm(forms.Form):
    """A TOTP code only (enrolment, new recovery codes)."""

    code = _code_field(recovery=False)

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if not TOTP_PATTERN.fullmatch(code):
            raise ValidationError(
                _("Saisissez les 6 chiffres affichés par votre application, sans lettre.")
            )
        return code


class VerificationForm(forms.Form):
    """A TOTP code or a recovery code (sign-in, reset of the authenticator)."""

    code = _code_field(recovery=True)

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if not (TOTP_PATTERN.fullmatch(code) or looks_like_recovery_code(code)):
            raise ValidationError(
                _(
                    "Saisissez les 6 chiffres affichés par votre application, ou un code de "
                    "secours complet (24 caractères, tirets facultatifs)."
                )
            )
        return code


class ResetSecondFactorForm(VerificationForm):
    """Starting again with a new phone: the password and a current code."""

    password = forms.CharField(
        label=_("Votre mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Tapez votre mot de passe pour confirmer.")},
    )
    field_order = ["password", "code"]

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("Ce n'est pas votre mot de passe : retapez-le."))
        return password
