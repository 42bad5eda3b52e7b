# ruff: noqa: E501 (e-mail paragraphs are one line each: mail clients wrap them)
"""Default French decision e-mails (loaded by migration 0002; then edited in the platform).

Variables are those of ``emailing.VARIABLES``; the text is plain (no HTML).
"""

DEFAULT_TEMPLATES: dict[str, tuple[str, str]] = {
    "accepted": (
        "Votre candidature {{ reference }} est acceptée",
        """Bonjour {{ prenom }} {{ nom }},

Nous avons le plaisir de vous annoncer que le comité de sélection de l'{{ appel }} a retenu votre candidature {{ reference }} pour {{ structure }}.

Le dispositif prend en charge {{ jours }} jour(s) de transfert de savoir-faire. {% if motivation %}L'avis du comité : {{ motivation }}
{% endif %}
La coordination revient vers vous très prochainement pour organiser la mise en relation avec la personne-ressource et construire ensemble le programme du transfert.

Vous pouvez suivre votre candidature sur la plateforme : {{ lien }}

Bien cordialement,
La coordination du dispositif Transfert de savoir-faire / Mentorat
""",
    ),
    "waitlisted": (
        "Votre candidature {{ reference }} est sur liste d'attente",
        """Bonjour {{ prenom }} {{ nom }},

Le comité de sélection de l'{{ appel }} a examiné votre candidature {{ reference }} pour {{ structure }}. Elle a retenu toute son attention mais l'enveloppe de l'appel ne permet pas de la financer à ce stade : elle est inscrite sur liste d'attente.

{% if motivation %}L'avis du comité : {{ motivation }}

{% endif %}Si des crédits se libèrent, la coordination vous recontactera sans que vous ayez à refaire de démarche.

Vous pouvez suivre votre candidature sur la plateforme : {{ lien }}

Bien cordialement,
La coordination du dispositif Transfert de savoir-faire / Mentorat
""",
    ),
    "refused": (
        "Réponse du comité de sélection à votre candidature {{ reference }}",
        """Bonjour {{ prenom }} {{ nom }},

Le comité de sélection de l'{{ appel }} a examiné avec attention votre candidature {{ reference }} pour {{ structure }}. Nous avons le regret de vous informer qu'elle n'a pas été retenue.

Motif de la décision : {{ motivation }}

Cette décision ne vous empêche pas de candidater à un prochain appel ; la coordination reste disponible pour en parler avec vous et vous aider à préciser votre besoin.

Vous pouvez consulter votre candidature sur la plateforme : {{ lien }}

Bien cordialement,
La coordination du dispositif Transfert de savoir-faire / Mentorat
""",
    ),
    "no_follow_up": (
        "Votre candidature {{ reference }} est classée sans suite",
        """Bonjour {{ prenom }} {{ nom }},

Votre candidature {{ reference }} à l'{{ appel }} pour {{ structure }} est classée sans suite.

{% if motivation %}Précision de la coordination : {{ motivation }}

{% endif %}Si vous pensez qu'il s'agit d'une erreur, ou si votre besoin demeure, n'hésitez pas à nous contacter ou à candidater de nouveau.

Bien cordialement,
La coordination du dispositif Transfert de savoir-faire / Mentorat
""",
    ),
}
