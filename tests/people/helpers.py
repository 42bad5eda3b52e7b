"""Shared helpers for the sign-up and resource-person tests: valid POST payloads."""

from typing import Any

from maillage.competences.models import Competence

STRONG_PASSWORD = "une phrase de passe solide 2026"


def signup_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "first_name": "Awa",
        "last_name": "Diallo",
        "email": "awa.diallo@exemple.invalid",
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
        "intent": "resource_person",
        "privacy": "on",
    }
    data.update(overrides)
    return data


def competence_rows(competences: list[Competence], total: int = 8, **extra: Any) -> dict[str, Any]:
    """The management form and ``total`` rows, the first ones filled with ``competences``."""
    data: dict[str, Any] = {
        "competences-TOTAL_FORMS": str(total),
        "competences-INITIAL_FORMS": "0",
        "competences-MIN_NUM_FORMS": "0",
        "competences-MAX_NUM_FORMS": "8",
    }
    for i in range(total):
        data[f"competences-{i}-level"] = "1"
        if i < len(competences):
            data[f"competences-{i}-competence"] = str(competences[i].pk)
            data[f"competences-{i}-level"] = "2"
            data[f"competences-{i}-description"] = f"Transmission n° {i + 1}"
    data.update(extra)
    return data


def profile_data(competences: list[Competence], organisation_pk: int | None, **overrides: Any):
    """A complete, valid profile POST (Toulouse, picking an existing structure)."""
    data: dict[str, Any] = {
        "job-job_title": "Régisseuse générale",
        "job-employment_status": "salarie",
        "mode": "search" if organisation_pk else "keep",
        "postal_code": "31000",
        "commune": "31555",
        "years_of_experience": "15",
        "summary": "Je transmets la régie générale d'un festival : plannings, fiches techniques.",
        "formats": ["immersion", "distance"],
        "days_per_year": "10",
        "available_months": ["3", "4", "10"],
        "travel_radius_km": "150",
        "accepts_matching": "on",
        **competence_rows(competences),
    }
    if organisation_pk:
        data["organisation"] = str(organisation_pk)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
