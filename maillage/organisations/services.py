from typing import Any

from django.db import transaction

from maillage.geography.models import Commune

from .models import Organisation, OrganisationActivity


@transaction.atomic
def create_organisation(
    *,
    name: str,
    commune: Commune,
    activities: list[str],
    siret: str = "",
    legal_form: str = "association",
    headcount: int | None = None,
    federation_member: bool = False,
) -> Organisation:
    organisation = Organisation.objects.create(
        name=name.strip(),
        siret=siret,
        legal_form=legal_form,
        commune=commune,
        headcount=headcount,
        federation_member=federation_member,
    )
    OrganisationActivity.objects.bulk_create(
        [OrganisationActivity(organisation=organisation, activity=code) for code in set(activities)]
    )
    return organisation


def create_organisation_from_form(cleaned: dict[str, Any]) -> Organisation:
    return create_organisation(
        name=cleaned["name"],
        commune=cleaned["commune"],
        activities=cleaned["activities"],
        siret=cleaned.get("siret", ""),
        legal_form=cleaned["legal_form"],
        headcount=cleaned.get("headcount"),
        federation_member=cleaned.get("federation_member", False),
    )
