from typing import Any

from django.http import HttpRequest

from .two_factor import pending_second_factor


def second_factor(request: HttpRequest) -> dict[str, Any]:
    """Between the password and the code, the header hides the links that would only lead
    back to the verification page."""
    return {"second_factor_pending": pending_second_factor(request)}
