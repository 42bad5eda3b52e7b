from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.fr import siret


def normalise_siret(value: str) -> str:
    """Strip the spaces, dots and dashes people type in a SIRET."""
    return siret.compact(value or "")


def validate_siret(value: str) -> None:
    try:
        siret.validate(value)
    except StdnumValidationError as error:
        raise ValidationError(
            _(
                "Le numéro SIRET « %(value)s » n'est pas valide : il doit comporter 14 chiffres "
                "et correspondre à un établissement réel (clé de contrôle)."
            ),
            code="invalid_siret",
            params={"value": value},
        ) from error
