"""Load the committed geography files (derived from INSEE/IGN open data, see docs/data.md).

Functions take model classes as arguments so that data migrations can pass historical models.
"""

import csv
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
COMMUNES_FILE = DATA_DIR / "communes.csv"
DEPARTEMENTS_FILE = DATA_DIR / "departements.csv"


def read_departements(path: Path = DEPARTEMENTS_FILE) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_communes(path: Path = COMMUNES_FILE) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_geography(departement_model: Any, commune_model: Any, postal_code_model: Any) -> int:
    """Insert or update départements, communes and postal codes; returns the commune count.

    Idempotent: rows are keyed by their official codes, postal codes are replaced.
    """
    for row in read_departements():
        departement_model.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "region_code": row["region_code"],
                "population": int(row["population"]),
                "area_km2": float(row["area_km2"]),
                "rural": row["rural"] == "1",
            },
        )
    rows = read_communes()
    existing = set(commune_model.objects.values_list("insee_code", flat=True))
    communes = [
        commune_model(
            insee_code=row["insee_code"],
            name=row["name"],
            departement_id=row["departement_code"],
            population=int(row["population"] or 0),
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
        )
        for row in rows
    ]
    commune_model.objects.bulk_create(
        [c for c in communes if c.insee_code not in existing], batch_size=500
    )
    commune_model.objects.bulk_update(
        [c for c in communes if c.insee_code in existing],
        ["name", "departement_id", "population", "latitude", "longitude"],
        batch_size=500,
    )
    postal_code_model.objects.all().delete()
    postal_code_model.objects.bulk_create(
        [
            postal_code_model(code=code, commune_id=row["insee_code"])
            for row in rows
            for code in sorted(set(row["postal_codes"].split()))
        ],
        batch_size=1000,
    )
    return len(rows)
