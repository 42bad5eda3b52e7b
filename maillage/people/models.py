"""Accounts (one user model, e-mail login, roles) and resource-person profiles."""

from functools import cached_property

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from maillage.calls.models import FormatsMixin
from maillage.competences.models import Competence
from maillage.core.models import actor_field
from maillage.geography.models import Commune
from maillage.organisations.models import Organisation


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Candidat·e / mentoré·e")
    RESOURCE_PERSON = "resource_person", _("Personne-ressource")
    COORDINATOR = "coordinator", _("Coordination")
    COMMITTEE = "committee", _("Membre du comité")
    FUNDER = "funder", _("Financeur")
    ADMIN = "admin", _("Administration")


class EmploymentStatus(models.TextChoices):
    EMPLOYEE = "salarie", _("Salarié·e")
    LEADER = "dirigeant", _("Dirigeant·e")
    OTHER = "autre", _("Autre (bénévole, indépendant·e…)")


class Gender(models.TextChoices):
    WOMAN = "femme", _("Femme")
    MAN = "homme", _("Homme")
    NON_BINARY = "non_binaire", _("Non-binaire")
    UNDISCLOSED = "nsp", _("Je préfère ne pas répondre")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: object) -> "User":
        if not email:
            raise ValueError("an e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields["is_staff"] = True
        fields["is_superuser"] = True
        user = self._create(email, password, **fields)
        RoleGrant.objects.get_or_create(user=user, role=Role.ADMIN)
        return user


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("adresse e-mail"), unique=True)
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    job_title = models.CharField(_("poste occupé"), max_length=150, blank=True)
    employment_status = models.CharField(
        _("statut"), max_length=20, choices=EmploymentStatus.choices, blank=True
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("structure"),
    )
    # Statistics only: never shown to committee members (see docs/privacy.md).
    gender = models.CharField(
        _("genre (facultatif, à des fins statistiques)"),
        max_length=20,
        choices=Gender.choices,
        blank=True,
    )
    is_active = models.BooleanField(_("actif"), default=True)
    is_staff = models.BooleanField(_("accès à l'administration technique"), default=False)
    date_joined = models.DateTimeField(_("inscription"), default=timezone.now)
    # Part of the session hash Django checks on every request: bumping it (logout, password
    # change, second-factor reset) ends every other session of the account at once.
    session_epoch = models.PositiveIntegerField(
        _("génération des sessions"), default=0, editable=False
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("utilisateur·rice")
        verbose_name_plural = _("utilisateur·rices")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")),
                name="user_email_lowercase",
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def save(self, *args: object, **kwargs: object) -> None:
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_full_name(self) -> str:
        return self.full_name

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        if not self.session_epoch:
            # Epoch 0 hashes exactly as Django does: sessions opened before the field existed
            # stay valid.
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        return salted_hmac(
            "maillage.people.User.get_session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_short_name(self) -> str:
        return self.first_name

    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(self.role_grants.values_list("role", flat=True))

    def has_role(self, *roles: str) -> bool:
        return self.is_active and bool(self.roles.intersection(roles))

    @property
    def is_staff_member(self) -> bool:
        """Coordinators and admins run the programme (back office)."""
        return self.has_role(Role.COORDINATOR, Role.ADMIN)


class RoleGrant(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField(_("attribué le"), auto_now_add=True)

    class Meta:
        ordering = ["role"]
        verbose_name = _("rôle")
        verbose_name_plural = _("rôles")
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="unique_user_role")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


class ValidationStatus(models.TextChoices):
    PENDING = "pending", _("En attente de validation")
    VALIDATED = "validated", _("Validée")
    SUSPENDED = "suspended", _("Suspendue")


class ResourcePersonQuerySet(models.QuerySet["ResourcePerson"]):
    def listed(self) -> "ResourcePersonQuerySet":
        """Validated, active and consenting to appear in the directory."""
        return self.filter(
            status=ValidationStatus.VALIDATED, user__is_active=True, consent_directory=True
        )

    def matchable(self) -> "ResourcePersonQuerySet":
        return self.filter(
            status=ValidationStatus.VALIDATED, user__is_active=True, accepts_matching=True
        )


MONTHS = [
    (1, _("janvier")),
    (2, _("février")),
    (3, _("mars")),
    (4, _("avril")),
    (5, _("mai")),
    (6, _("juin")),
    (7, _("juillet")),
    (8, _("août")),
    (9, _("septembre")),
    (10, _("octobre")),
    (11, _("novembre")),
    (12, _("décembre")),
]


class ResourcePerson(FormatsMixin):
    """A personne-ressource: an experienced professional who passes on know-how."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="resource_profile", verbose_name=_("compte")
    )
    commune = models.ForeignKey(
        Commune,
        on_delete=models.PROTECT,
        related_name="resource_persons",
        verbose_name=_("commune de travail"),
    )
    years_of_experience = models.PositiveSmallIntegerField(
        _("années d'expérience"), validators=[MaxValueValidator(60)]
    )
    summary = models.TextField(_("ce que je peux transmettre"), max_length=3000)
    days_per_year = models.PositiveSmallIntegerField(
        _("jours disponibles par an"), default=5, validators=[MaxValueValidator(100)]
    )
    # Months (1-12) when the person is available; empty means all year.
    available_months = models.JSONField(_("mois de disponibilité"), default=list, blank=True)
    travel_radius_km = models.PositiveSmallIntegerField(
        _("distance de déplacement acceptée (km)"),
        default=100,
        validators=[MinValueValidator(0), MaxValueValidator(1000)],
    )
    accepts_matching = models.BooleanField(
        _("accepte d'être proposé·e pour des transferts"), default=True
    )
    status = models.CharField(
        _("validation"),
        max_length=20,
        choices=ValidationStatus.choices,
        default=ValidationStatus.PENDING,
        db_index=True,
    )
    validated_at = models.DateTimeField(_("validée le"), null=True, blank=True)
    validated_by = actor_field(_("validée par"))
    # Field-by-field consent to the public directory; each can be withdrawn at any time.
    consent_directory = models.BooleanField(_("apparaître dans l'annuaire public"), default=False)
    consent_show_name = models.BooleanField(_("afficher mon nom"), default=False)
    consent_show_organisation = models.BooleanField(_("afficher ma structure"), default=False)
    consent_show_job = models.BooleanField(_("afficher mon poste"), default=False)
    consent_show_summary = models.BooleanField(_("afficher ma présentation"), default=False)
    consent_show_commune = models.BooleanField(_("afficher ma commune"), default=False)
    consent_updated_at = models.DateTimeField(
        _("consentement mis à jour le"), null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    competences = models.ManyToManyField(
        Competence, through="ResourcePersonCompetence", related_name="resource_persons"
    )

    objects = ResourcePersonQuerySet.as_manager()

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        verbose_name = _("personne-ressource")
        verbose_name_plural = _("personnes-ressources")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="validated") | models.Q(validated_at__isnull=False),
                name="validated_resource_person_has_date",
            )
        ]

    def __str__(self) -> str:
        return str(self.user)

    def month_labels(self) -> list[str]:
        names = dict(MONTHS)
        return [str(names[m]) for m in sorted(self.available_months) if m in names]


class Level(models.IntegerChoices):
    PRACTITIONER = 1, _("Pratique confirmée")
    ADVANCED = 2, _("Maîtrise avancée")
    EXPERT = 3, _("Expertise reconnue")


class ResourcePersonCompetence(models.Model):
    resource_person = models.ForeignKey(
        ResourcePerson, on_delete=models.CASCADE, related_name="competence_links"
    )
    competence = models.ForeignKey(
        Competence, on_delete=models.PROTECT, related_name="resource_person_links"
    )
    level = models.PositiveSmallIntegerField(
        _("niveau"), choices=Level.choices, default=Level.PRACTITIONER
    )
    description = models.CharField(_("ce que je transmets"), max_length=500, blank=True)

    class Meta:
        ordering = ["-level", "competence__label_fr"]
        verbose_name = _("compétence de la personne-ressource")
        verbose_name_plural = _("compétences de la personne-ressource")
        constraints = [
            models.UniqueConstraint(
                fields=["resource_person", "competence"], name="unique_resource_person_competence"
            )
        ]

    def __str__(self) -> str:
        return f"{self.competence} ({self.get_level_display()})"
