"""Response hardening that Django's settings and django-csp do not cover.

``Cache-Control: no-store`` keeps pages with personal data out of the browser's cache (back
button after logout, a shared computer) and out of any proxy. The rule is deliberately blunt,
so that a new view is safe without anyone remembering to decorate it: a response may be stored
only when it answers a GET or HEAD from an anonymous visitor, on a view declared ``public``,
whose URL carries no token. Everything else (signed-in users, forms posted, one-time links,
password reset, the admin, unresolved URLs) gets ``no-store``.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers

from maillage.core.permissions import rule_of

# URL parameters that make the link itself a credential: employer agreement, matching answer,
# account invitation, password reset.
TOKEN_PARAMETERS = frozenset({"token", "uidb64"})
CACHEABLE_METHODS = frozenset({"GET", "HEAD"})


def may_be_stored(request: HttpRequest) -> bool:
    """True only for responses that hold no personal data by construction."""
    user = getattr(request, "user", None)
    if user is None or user.is_authenticated:
        # No user at all means the middleware order changed: fail safe.
        return False
    if request.method not in CACHEABLE_METHODS:
        return False
    match = request.resolver_match
    if match is None or rule_of(match.func) != "public":
        return False
    return not (TOKEN_PARAMETERS & (match.kwargs.keys() | request.GET.keys()))


class NoStoreMiddleware:
    """Adds ``Cache-Control: no-store`` (Django's ``never_cache`` headers) where needed.

    Sits after AuthenticationMiddleware; static files are answered earlier by WhiteNoise and
    never reach it, so they stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # A view that already chose no-store (the data archive) made the strictest choice.
        if "no-store" not in response.get("Cache-Control", "") and not may_be_stored(request):
            add_never_cache_headers(response)
        return response
