"""Load the committed competence taxonomy (maillage/competences/data/taxonomy.json)."""

import json
from pathlib import Path
from typing import Any

TAXONOMY_FILE = Path(__file__).resolve().parent / "data" / "taxonomy.json"


def read_taxonomy(path: Path = TAXONOMY_FILE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def load_taxonomy(domain_model: Any, competence_model: Any, path: Path = TAXONOMY_FILE) -> int:
    """Create or update domains and competences by code; returns the competence count.

    Labels edited in the back office are overwritten only when the file changes them, since
    update_or_create writes the file's values: run it from a migration, not at every start.
    """
    taxonomy = read_taxonomy(path)
    count = 0
    for domain_position, domain_data in enumerate(taxonomy["domains"]):
        domain, _created = domain_model.objects.update_or_create(
            code=domain_data["code"],
            defaults={
                "label_fr": domain_data["label_fr"],
                "label_en": domain_data.get("label_en", ""),
                "description_fr": domain_data.get("description_fr", ""),
                "description_en": domain_data.get("description_en", ""),
                "position": domain_position,
            },
        )
        for position, item in enumerate(domain_data["competences"]):
            competence_model.objects.update_or_create(
                code=item["code"],
                defaults={
                    "domain": domain,
                    "label_fr": item["label_fr"],
                    "label_en": item.get("label_en", ""),
                    "description_fr": item.get("description_fr", ""),
                    "description_en": item.get("description_en", ""),
                    "rome_codes": " ".join(item.get("rome_codes", [])),
                    "keywords": "\n".join(item.get("keywords_fr", [])),
                    "position": position,
                },
            )
            count += 1
    return count
