"""``{% pending_proposals as proposals %}``: the signed-in resource person's open proposals
(used by the core dashboard, whose view belongs to another app)."""

from typing import Any

from django import template

from maillage.pairing.models import Proposal
from maillage.pairing.selectors import pending_proposals_for

register = template.Library()


@register.simple_tag(takes_context=True)
def pending_proposals(context: dict[str, Any]) -> list[Proposal]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return []
    return pending_proposals_for(user)
