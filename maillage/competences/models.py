"""The sector's competence taxonomy: domains and competences, French first with English labels."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class BilingualLabelMixin(models.Model):
    label_fr = models.CharField(_("libellé (français)"), max_length=200)
    label_en = models.CharField(_("libellé (anglais)"), max_length=200, blank=True)
    description_fr = models.TextField(_("description (français)"), blank=True)
    description_en = models.TextField(_("description (anglais)"), blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The label in the active language, falling back to French."""
        if (get_language() or "fr").startswith("en") and self.label_en:
            return self.label_en
        return self.label_fr

    @property
    def description(self) -> str:
        if (get_language() or "fr").startswith("en") and self.description_en:
            return self.description_en
        return self.description_fr


class Domain(BilingualLabelMixin):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("domaine de compétences")
        verbose_name_plural = _("domaines de compétences")


class Competence(BilingualLabelMixin):
    domain = models.ForeignKey(
        Domain, on_delete=models.PROTECT, related_name="competences", verbose_name=_("domaine")
    )
    code = models.CharField(_("code"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    # ROME 4.0 codes (France Travail), space separated: "L1302 M1205".
    rome_codes = models.CharField(_("codes ROME"), max_length=100, blank=True)
    # Words a mentee may type when describing a need; used to suggest competences.
    keywords = models.TextField(_("mots-clés"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["domain__position", "position", "code"]
        verbose_name = _("compétence")
        verbose_name_plural = _("compétences")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rome_codes__regex=r"^([A-N][0-9]{4}( [A-N][0-9]{4})*)?$"),
                name="competence_rome_codes_format",
            )
        ]

    @property
    def rome_code_list(self) -> list[str]:
        return self.rome_codes.split()
