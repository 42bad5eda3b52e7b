from typing import Any

from django.http import HttpRequest

from maillage.people.models import Role


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Role flags for the navigation bar (one query per request, cached on the user)."""
    user = request.user
    roles = user.roles if user.is_authenticated else frozenset()
    return {
        "nav_roles": roles,
        "is_coordinator": Role.COORDINATOR in roles or Role.ADMIN in roles,
        "Role": Role,
    }
