"""The directory's search index: one row per (term, resource person), see docs/directory.md."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from maillage.people.models import ResourcePerson


class IndexTerm(models.Model):
    """A stemmed term of a listed resource person's profile with its precomputed weights.

    ``weight_public`` only counts fields the person consented to show (0 when the term comes
    from hidden fields only), ``weight_member`` counts every field a signed-in user may see.
    """

    term = models.CharField(_("terme"), max_length=40)
    resource_person = models.ForeignKey(
        ResourcePerson,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("personne-ressource"),
    )
    weight_public = models.FloatField(_("poids (annuaire public)"), default=0)
    weight_member = models.FloatField(_("poids (membres connectés)"), default=0)

    class Meta:
        verbose_name = _("terme de l'index de l'annuaire")
        verbose_name_plural = _("termes de l'index de l'annuaire")
        indexes = [
            # Covering index for the ranked query: the posting list of a term, with weights,
            # is read without touching the table. (term, person) pairs are unique because
            # services write each person's terms once, aggregated.
            models.Index(
                fields=["term", "resource_person", "weight_public", "weight_member"],
                name="directory_term_postings",
            )
        ]

    def __str__(self) -> str:
        return f"{self.term} → {self.resource_person_id}"


class Term(models.Model):
    """The index vocabulary with document frequencies, for IDF and prefix completion.

    The empty term is every indexed person's pseudo-term: its frequencies are the number of
    indexed persons (N in the IDF formula).
    """

    term = models.CharField(_("terme"), max_length=40, primary_key=True, blank=True)
    # Plain integers, not positive ones: a count out of step after a bulk write must never
    # make a profile save fail; rebuild_directory recomputes them exactly.
    df_public = models.IntegerField(_("fiches publiques contenant le terme"), default=0)
    df_member = models.IntegerField(_("fiches membres contenant le terme"), default=0)

    class Meta:
        ordering = ["term"]
        verbose_name = _("terme du vocabulaire de l'annuaire")
        verbose_name_plural = _("vocabulaire de l'annuaire")

    def __str__(self) -> str:
        return self.term
