"""Field helpers shared by the domain apps."""

from typing import Any

from django.conf import settings
from django.db import models


def actor_field(verbose_name: Any) -> Any:
    """Who did something (validated, decided, wrote…): kept as history when the account goes.

    No reverse accessor: "everything this person touched" is read through each app's own
    queries, not from the user model.
    """
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
    )
