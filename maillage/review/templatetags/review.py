"""The committee member's list on their dashboard (core's view stays unaware of this app)."""

from django import template

from maillage.people.models import User

from .. import selectors

register = template.Library()


@register.simple_tag
def reviewer_rows(user: User) -> list[selectors.ReviewerRow]:
    return selectors.reviewer_rows(user)
