"""Applications (candidatures): a mentee's need, submitted to a call, and its history."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from maillage.calls.models import Call, FormatsMixin
from maillage.competences.models import Competence
from maillage.core.models import actor_field
from maillage.organisations.models import Organisation
from maillage.people.models import EmploymentStatus, ResourcePerson


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    AWAITING_EMPLOYER = "awaiting_employer", _("En attente de l'employeur")
    SUBMITTED = "submitted", _("Déposée")
    TO_COMPLETE = "to_complete", _("À compléter")
    UNDER_REVIEW = "under_review", _("En instruction")
    ACCEPTED = "accepted", _("Acceptée")
    WAITLISTED = "waitlisted", _("Liste d'attente")
    REFUSED = "refused", _("Refusée")
    NO_FOLLOW_UP = "no_follow_up", _("Sans suite")


class Application(FormatsMixin):
    call = models.ForeignKey(
        Call, on_delete=models.PROTECT, related_name="applications", verbose_name=_("appel")
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("candidat·e"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="applications",
        null=True,
        blank=True,
        verbose_name=_("structure"),
    )
    state = models.CharField(
        _("état"),
        max_length=30,
        choices=ApplicationState.choices,
        default=ApplicationState.DRAFT,
        db_index=True,
    )
    need = models.TextField(_("le besoin, dans vos mots"), blank=True, max_length=5000)
    expected_results = models.TextField(_("résultats attendus"), blank=True, max_length=3000)
    competences = models.ManyToManyField(
        Competence, blank=True, related_name="applications", verbose_name=_("compétences visées")
    )
    desired_start = models.DateField(_("début souhaité"), null=True, blank=True)
    desired_end = models.DateField(_("fin souhaitée"), null=True, blank=True)
    days = models.PositiveSmallIntegerField(_("nombre de jours"), null=True, blank=True)
    proposed_resource_person = models.ForeignKey(
        ResourcePerson,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposed_in",
        verbose_name=_("personne-ressource proposée"),
    )
    proposed_external_name = models.CharField(
        _("personne-ressource hors annuaire (nom)"), max_length=200, blank=True
    )
    proposed_external_organisation = models.CharField(
        _("personne-ressource hors annuaire (structure)"), max_length=200, blank=True
    )
    # What the applicant declared for this application (their profile may change later).
    applicant_job_title = models.CharField(_("poste occupé"), max_length=150, blank=True)
    applicant_employment_status = models.CharField(
        _("statut"), max_length=20, choices=EmploymentStatus.choices, blank=True
    )
    employer_signatory_name = models.CharField(
        _("signataire pour l'employeur (nom)"), max_length=200, blank=True
    )
    employer_signatory_email = models.EmailField(
        _("signataire pour l'employeur (e-mail)"), blank=True
    )
    employer_approved_at = models.DateTimeField(
        _("accord de l'employeur le"), null=True, blank=True
    )
    submitted_at = models.DateTimeField(_("déposée le"), null=True, blank=True, db_index=True)
    reference = models.CharField(_("référence"), max_length=20, unique=True, null=True, blank=True)
    # Eligibility as evaluated at submission: [{"code", "passed", "params"}, …].
    eligibility_snapshot = models.JSONField(_("éligibilité au dépôt"), default=list, blank=True)
    # Whether every rule of the snapshot passed: an indexed column for the back office filter.
    eligible_at_submission = models.BooleanField(
        _("éligible au dépôt"), null=True, blank=True, db_index=True
    )
    # The committee's (or coordination's) decision, kept with its motivation.
    decision_motivation = models.TextField(_("motivation de la décision"), blank=True)
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    # Incremented at every save from a form: optimistic locking between concurrent editors.
    version = models.PositiveIntegerField(default=1)
    # Who made the last saved change (named in the optimistic-locking conflict message).
    last_edited_by = actor_field(_("dernière modification par"))
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("candidature")
        verbose_name_plural = _("candidatures")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(desired_end__isnull=True)
                | models.Q(desired_start__isnull=True)
                | models.Q(desired_end__gte=models.F("desired_start")),
                name="application_period_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(state="draft") | models.Q(need__gt=""),
                name="application_beyond_draft_has_need",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="submitted") | models.Q(submitted_at__isnull=False),
                name="submitted_application_has_date",
            ),
        ]
        indexes = [models.Index(fields=["call", "state"])]

    def __str__(self) -> str:
        return self.reference or _("Candidature n°%(pk)s") % {"pk": self.pk}

    @property
    def declared_status(self) -> str:
        """The status declared in the application, else the one of the applicant's profile
        (rows created before the application kept its own copy)."""
        return self.applicant_employment_status or self.applicant.employment_status

    @property
    def declared_job_title(self) -> str:
        return self.applicant_job_title or self.applicant.job_title

    @property
    def resume_step(self) -> int:
        """The first step with a missing answer (where "Continuer" leads)."""
        from .selectors import resume_step

        return resume_step(self)

    def declared_status_label(self) -> str:
        status = self.declared_status
        return str(EmploymentStatus(status).label) if status else ""


class ApplicationEvent(models.Model):
    """Dated history of an application: every state change, who made it and why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("date"), db_index=True)
    actor = actor_field(_("par"))
    from_state = models.CharField(_("état précédent"), max_length=30, blank=True)
    to_state = models.CharField(_("nouvel état"), max_length=30)
    note = models.TextField(_("commentaire"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("événement")
        verbose_name_plural = _("historique")

    def __str__(self) -> str:
        return f"{self.application} {self.from_state} → {self.to_state}"

    @property
    def to_state_label(self) -> str:
        return str(ApplicationState(self.to_state).label) if self.to_state else ""

    @property
    def from_state_label(self) -> str:
        return str(ApplicationState(self.from_state).label) if self.from_state else ""


def attachment_path(instance: "Attachment", filename: str) -> str:
    """A random name (the original is kept in the database only), never under a public URL."""
    extension = {"pdf": ".pdf", "odt": ".odt", "docx": ".docx"}.get(instance.kind, "")
    return f"attachments/{uuid.uuid4().hex}{extension}"


class AttachmentKind(models.TextChoices):
    PDF = "pdf", _("PDF")
    ODT = "odt", _("Texte OpenDocument (ODT)")
    DOCX = "docx", _("Document Word (DOCX)")


class Attachment(models.Model):
    """A document joined to an application; served only through an authorising view."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("fichier"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("nom du fichier"), max_length=255)
    kind = models.CharField(_("type"), max_length=10, choices=AttachmentKind.choices)
    size = models.PositiveIntegerField(_("taille (octets)"))
    uploaded_at = models.DateTimeField(_("ajoutée le"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")

    def __str__(self) -> str:
        return self.original_name


class EmployerDecision(models.TextChoices):
    APPROVED = "approved", _("Accord donné")
    REFUSED = "refused", _("Accord refusé")


class EmployerApproval(models.Model):
    """One request for the employer's agreement, answered once through a secret link.

    Only a hash of the token is stored, so a database leak does not leak usable links.
    """

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="employer_approvals"
    )
    signatory_name = models.CharField(_("signataire (nom)"), max_length=200)
    signatory_email = models.EmailField(_("signataire (e-mail)"))
    token_hash = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(_("envoyée le"))
    expires_at = models.DateTimeField(_("valable jusqu'au"))
    invalidated_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    decided_at = models.DateTimeField(_("réponse le"), null=True, blank=True)
    decision = models.CharField(
        _("décision"), max_length=10, choices=EmployerDecision.choices, blank=True
    )
    comment = models.TextField(_("commentaire"), blank=True, max_length=2000)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("accord de l'employeur")
        verbose_name_plural = _("accords de l'employeur")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision="") | models.Q(decided_at__isnull=False),
                name="employer_decision_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("sent_at")),
                name="employer_approval_expires_after_sending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} — {self.signatory_name}"

    @property
    def is_pending(self) -> bool:
        return not self.decision and self.invalidated_at is None


class ApplicationRevision(models.Model):
    """What the applicant gave at a submission (number 1) or a re-submission (2, 3…)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("numéro"))
    created_at = models.DateTimeField(_("date"))
    created_by = actor_field(_("par"))
    # Plain values and labels (see ``revisions.snapshot``): readable even if references change.
    data = models.JSONField(_("contenu"), default=dict)

    class Meta:
        ordering = ["application", "number"]
        verbose_name = _("version déposée")
        verbose_name_plural = _("versions déposées")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "number"], name="application_revision_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="application_revision_number_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} v{self.number}"


class StaffNote(models.Model):
    """A private note of the coordination: never shown to the applicant or the committee."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="staff_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("autrice ou auteur"),
    )
    body = models.TextField(_("note"), max_length=5000)
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("note interne")
        verbose_name_plural = _("notes internes")

    def __str__(self) -> str:
        return f"{self.application} — {self.created_at:%Y-%m-%d}"


class Message(models.Model):
    """A message between the coordination and the applicant about one application."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("autrice ou auteur"),
    )
    # Stored rather than derived from roles: a coordinator may also be an applicant.
    from_staff = models.BooleanField(_("de la coordination"), default=False)
    body = models.TextField(_("message"), max_length=5000)
    created_at = models.DateTimeField(_("envoyé le"), auto_now_add=True)
    read_at = models.DateTimeField(_("lu le"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.application} — {self.created_at:%Y-%m-%d %H:%M}"
