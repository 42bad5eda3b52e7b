"""Départements and communes of the region, loaded from committed open data."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Departement(models.Model):
    code = models.CharField(_("code"), max_length=3, primary_key=True)
    name = models.CharField(_("nom"), max_length=100)
    region_code = models.CharField(_("code région"), max_length=3)
    population = models.PositiveIntegerField(_("population"), default=0)
    area_km2 = models.FloatField(_("superficie (km²)"), default=0)
    # Density below the threshold documented in docs/data.md: used for territorial bonuses.
    rural = models.BooleanField(_("territoire rural"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("département")
        verbose_name_plural = _("départements")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def density(self) -> float:
        return self.population / self.area_km2 if self.area_km2 else 0.0


class Commune(models.Model):
    insee_code = models.CharField(_("code INSEE"), max_length=5, primary_key=True)
    name = models.CharField(_("nom"), max_length=100, db_index=True)
    departement = models.ForeignKey(
        Departement,
        on_delete=models.PROTECT,
        related_name="communes",
        verbose_name=_("département"),
    )
    population = models.PositiveIntegerField(_("population"), default=0)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))

    class Meta:
        ordering = ["name", "insee_code"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")

    def __str__(self) -> str:
        return f"{self.name} ({self.departement_id})"


class PostalCode(models.Model):
    """A commune may have several postal codes and a postal code several communes."""

    code = models.CharField(_("code postal"), max_length=5, db_index=True)
    commune = models.ForeignKey(
        Commune, on_delete=models.CASCADE, related_name="postal_codes", verbose_name=_("commune")
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code", "commune"], name="unique_postal_code_commune"),
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[0-9]{5}$"), name="postal_code_five_digits"
            ),
        ]
        verbose_name = _("code postal")
        verbose_name_plural = _("codes postaux")

    def __str__(self) -> str:
        return f"{self.code} {self.commune.name}"
