"""What each column expects, in French, for the upload page (docs/user-guide/import-tableur.md
says the same at more length)."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import parsing

_COMMUNE = {
    "code_insee": _("Code INSEE de la commune (5 caractères) : le plus sûr."),
    "code_postal": _(
        "À défaut du code INSEE : code postal, avec la commune s'il en dessert plusieurs."
    ),
    "commune": _("Nom de la commune (accents et majuscules indifférents)."),
}

HELP: dict[str, dict[str, Promise]] = {
    parsing.ORGANISATIONS: {
        "nom": _("Nom de la structure."),
        "siret": _(
            "14 chiffres. Identifie la structure d'un import à l'autre ; sans SIRET, c'est le "
            "nom dans sa commune."
        ),
        "forme_juridique": _("Association, SCIC, SCOP, SARL, SAS, EPCC, régie, SPL, EI ou autre."),
        **_COMMUNE,
        "activites": _(
            "Une ou plusieurs, séparées par des points-virgules : salle, festival, label, studio, "
            "production, école, média, réseau, collectivité, autre."
        ),
        "effectif": _("Effectif salarié en équivalents temps plein (nombre entier)."),
        "adherente": _("oui ou non."),
        "site_web": _("Adresse du site (https:// ajouté si absent)."),
    },
    parsing.RESOURCE_PERSONS: {
        "email": _("Adresse e-mail : identifie la personne (majuscules indifférentes)."),
        "prenom": _("Prénom (obligatoire pour créer le compte)."),
        "nom": _("Nom (obligatoire pour créer le compte)."),
        "telephone": _("Téléphone."),
        "poste": _("Poste occupé."),
        "siret_structure": _("SIRET de sa structure, déjà importée."),
        "structure": _("À défaut du SIRET : nom exact de sa structure, déjà importée."),
        **_COMMUNE,
        "annees_experience": _("Années d'expérience (0 à 60)."),
        "presentation": _("Ce qu'elle peut transmettre (3 000 caractères au plus)."),
        "competences": _(
            "Codes ou libellés du référentiel, séparés par des points-virgules ; les compétences "
            "déjà déclarées sont gardées."
        ),
        "formats": _("immersion, sur site, à distance, mixte (séparés par des points-virgules)."),
        "jours_par_an": _("Jours disponibles par an (0 à 100 ; 5 par défaut)."),
        "rayon_km": _("Distance de déplacement acceptée en km (100 par défaut)."),
        "statut": _("validée, en attente ou suspendue ; « en attente » par défaut."),
    },
    parsing.TRANSFERS: {
        "reference": _(
            "Votre numéro du transfert : conseillé, il permet ensuite de corriger les dates, "
            "les personnes ou les compétences."
        ),
        "email_mentore": _("Adresse e-mail de la personne mentorée."),
        "prenom_mentore": _("Prénom (obligatoire si la personne n'a pas encore de compte)."),
        "nom_mentore": _("Nom (obligatoire si la personne n'a pas encore de compte)."),
        "siret_structure_mentoree": _("SIRET de la structure mentorée, déjà importée."),
        "structure_mentoree": _("À défaut du SIRET : nom exact de la structure mentorée."),
        "email_personne_ressource": _("Adresse e-mail d'une personne-ressource déjà importée."),
        "siret_structure_personne_ressource": _(
            "SIRET de la structure payée, si ce n'est pas celle de la personne-ressource."
        ),
        "competences": _("Codes ou libellés du référentiel, séparés par des points-virgules."),
        "date_debut": _("jj/mm/aaaa."),
        "date_fin": _("jj/mm/aaaa, au plus tôt la date de début."),
        "jours_prevus": _("Nombre de jours prévus (demi-journées acceptées : 2,5)."),
        "jours_realises": _("Nombre de jours réalisés."),
        "format": _("immersion, sur site, à distance ou mixte."),
        "statut": _(
            "prévu, en cours, réalisé ou annulé ; par défaut « réalisé » si la date de fin est "
            "passée, sinon « prévu »."
        ),
        "montant_verse": _("Montant versé à la structure de la personne-ressource, en euros."),
        "reference_candidature": _("Référence TSF-aaaa-nnnn de la candidature d'origine."),
    },
}


@dataclass(frozen=True)
class ColumnHelp:
    header: str
    required: bool
    help: Promise


def column_help(kind: str) -> list[ColumnHelp]:
    return [
        ColumnHelp(column.header, column.required, HELP[kind][column.key])
        for column in parsing.COLUMNS[kind]
    ]
