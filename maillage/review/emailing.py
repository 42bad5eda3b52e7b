"""Decision e-mails: coordinator-editable templates rendered on a restricted context.

Templates run in a bare template engine (no loaders, no tag libraries beyond Django's
built-ins) with only the documented variables, without HTML escaping since the e-mails are
plain text. Rendering happens now; the e-mail is written to the outbox with the decision and
sent after the commit (core.emails).
"""

from dataclasses import dataclass
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError
from django.utils.translation import gettext_lazy as _

from maillage.applications.models import Application
from maillage.core.emails import queue_email

from .email_defaults import DEFAULT_TEMPLATES
from .models import DecisionEmailTemplate

# name -> description shown to the coordinators editing a template.
VARIABLES: dict[str, Any] = {
    "prenom": _("prénom de la personne candidate"),
    "nom": _("nom de la personne candidate"),
    "reference": _("référence de la candidature (TSF-2026-0042)"),
    "appel": _("titre de l'appel à candidatures"),
    "structure": _("structure de la personne candidate"),
    "jours": _("nombre de jours demandés"),
    "motivation": _("motivation de la décision saisie en séance"),
    "lien": _("adresse de la candidature sur la plateforme"),
}
SAMPLE_CONTEXT = {
    "prenom": "Inès",
    "nom": "Garcia",
    "reference": "TSF-2026-0042",
    "appel": "Appel à candidatures 2026 — Transfert de savoir-faire / Mentorat",
    "structure": "Festival Tramontane de Millau",
    "jours": 3,
    "motivation": "Besoin précis et personne-ressource pertinente.",
    "lien": "https://maillage.example.org/candidatures/42/",
}
ENGINE = Engine(libraries={}, autoescape=False)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body: str


def check_syntax(text: str) -> None:
    """Raises TemplateSyntaxError with Django's message."""
    ENGINE.from_string(text)


def render(subject: str, body: str, context: dict[str, Any]) -> RenderedEmail:
    ctx = Context({key: context.get(key, "") for key in VARIABLES}, autoescape=False)
    rendered_subject = " ".join(ENGINE.from_string(subject).render(ctx).split())
    return RenderedEmail(rendered_subject, ENGINE.from_string(body).render(ctx).strip() + "\n")


def template_for(outcome: str) -> tuple[str, str]:
    row = DecisionEmailTemplate.objects.filter(outcome=outcome).first()
    if row is not None:
        return row.subject, row.body
    return DEFAULT_TEMPLATES[outcome]


def context_for(application: Application, motivation: str, link: str) -> dict[str, Any]:
    applicant = application.applicant
    return {
        "prenom": applicant.first_name,
        "nom": applicant.last_name,
        "reference": application.reference or "",
        "appel": application.call.title,
        "structure": application.organisation.name if application.organisation else "",
        "jours": application.days or "",
        "motivation": motivation,
        "lien": link,
    }


def queue_decision_email(
    application: Application, outcome: str, motivation: str, link: str
) -> RenderedEmail:
    subject, body = template_for(outcome)
    try:
        email = render(subject, body, context_for(application, motivation, link))
    except TemplateSyntaxError:
        # A broken template never blocks a decision: fall back to the default text.
        email = render(*DEFAULT_TEMPLATES[outcome], context_for(application, motivation, link))
    to = [application.applicant.email]
    queue_email(email.subject, email.body, to)
    return email
