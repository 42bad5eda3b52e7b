"""Queue e-mails rendered from templates, only once the surrounding transaction commits."""

from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from .tasks import send_email


def queue_templated_email(
    template_prefix: str, context: dict[str, Any], to: list[str], language: str = "fr"
) -> None:
    """Render ``<prefix>_subject.txt`` and ``<prefix>_body.txt`` and enqueue the sending.

    Rendering happens now (with the request's data) but sending waits for the commit, so a
    rolled-back action never sends mail and a slow SMTP server never slows the page.
    """
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
        body = render_to_string(f"{template_prefix}_body.txt", context)
    transaction.on_commit(lambda: send_email.enqueue(subject=subject, body=body, to=to))
