"""Declared access rules: every view states who may see it with one of these decorators.

A rule is explicit even for public pages (``public``), so a test can walk every URL pattern
and check that each view carries a rule (see tests/core/test_permissions.py).
"""

from collections.abc import Callable, Iterable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

if TYPE_CHECKING:
    from maillage.people.models import User

View = Callable[..., HttpResponseBase]
RULE_ATTRIBUTE = "access_rule"


def public(view: View) -> View:
    """Anyone, signed in or not."""
    setattr(view, RULE_ATTRIBUTE, "public")
    return view


def signed_in(view: View) -> View:
    """Any active account."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    setattr(wrapper, RULE_ATTRIBUTE, "signed_in")
    return wrapper


def role_required(*roles: str) -> Callable[[View], View]:
    """Signed-in users holding one of ``roles``; others get 403, anonymous users the login page."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not current_user(request).has_role(*roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        setattr(wrapper, RULE_ATTRIBUTE, "roles:" + ",".join(sorted(roles)))
        return wrapper

    return decorator


def current_user(request: HttpRequest) -> "User":
    """The signed-in user of a view protected by ``signed_in`` or ``role_required``."""
    from maillage.people.models import User

    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def rule_of(view: Any) -> str | None:
    return getattr(view, RULE_ATTRIBUTE, None)


def has_any_role(user: Any, roles: Iterable[str]) -> bool:
    return bool(user.is_authenticated and user.has_role(*roles))
