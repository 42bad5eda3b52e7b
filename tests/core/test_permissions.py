"""Every URL pattern of the project declares an access rule (maillage.core.permissions)."""

from django.urls import URLPattern, URLResolver, get_resolver

from maillage.core.permissions import rule_of

# Third-party views with their own checks: the Django admin (staff only) and set_language.
EXEMPT_NAMESPACES = {"admin"}
EXEMPT_NAMES = {"set_language"}


def walk(resolver: URLResolver, namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            child = entry.namespace or namespace
            if child in EXEMPT_NAMESPACES:
                continue
            yield from walk(entry, child)
        elif isinstance(entry, URLPattern):
            yield namespace, entry


def test_every_view_declares_an_access_rule():
    missing = [
        f"{namespace}:{pattern.name}"
        for namespace, pattern in walk(get_resolver())
        if pattern.name not in EXEMPT_NAMES and rule_of(pattern.callback) is None
    ]
    assert missing == []


def test_there_are_views_of_every_kind():
    rules = {rule_of(pattern.callback) for _, pattern in walk(get_resolver())}
    assert "public" in rules and "signed_in" in rules
    assert any(rule and rule.startswith("roles:") for rule in rules)
