from django.db.models import QuerySet

from .models import Commune


def communes_for_postal_code(code: str) -> QuerySet[Commune]:
    """Communes served by a 5-digit postal code (empty for anything else)."""
    code = (code or "").strip()
    if len(code) != 5 or not code.isdigit():
        return Commune.objects.none()
    return (
        Commune.objects.filter(postal_codes__code=code)
        .select_related("departement")
        .order_by("name")
        .distinct()
    )
