"""Deploy checks: `manage.py check --deploy` warns when the second factor is switched off."""

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def second_factor_required(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    if getattr(settings, "MAILLAGE_REQUIRE_2FA", True):
        return []
    return [
        Warning(
            "MAILLAGE_REQUIRE_2FA is off: staff accounts sign in with a password only.",
            hint="Unset MAILLAGE_REQUIRE_2FA (or set it to 1) in production.",
            id="maillage.W001",
        )
    ]
