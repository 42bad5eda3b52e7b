"""Build the committed geography reference files from the shared open-data extract.

Dev script, not imported by the application. Run it from anywhere::

    python3 maillage/geography/data/build_geography.py

Inputs (``<repo_root>/../shared/data/occitanie``, see its README.md):

* ``communes.csv``: INSEE Code officiel géographique (``@etalab/decoupage-administratif``
  6.0.0, MIT) with centroids computed from IGN ADMIN EXPRESS 2018;
* ``departements-occitanie.geojson``: IGN ADMIN EXPRESS 2018 boundaries of the 13
  départements (via ``gregoiredavid/france-geojson``, Licence Ouverte / Etalab 2.0).

Outputs (overwritten; the script is deterministic, so rerunning it on the same inputs gives
byte-identical files):

* ``maillage/geography/data/communes.csv``;
* ``maillage/geography/data/departements.csv``;
* ``maillage/geography/static/geography/departements.geojson`` (simplified boundaries).

Method (documented in docs/data.md):

* areas: each ring is projected with the Lambert cylindrical equal-area projection on the
  GRS80 ellipsoid (exact, area-preserving), then measured with the shoelace formula; holes
  are subtracted. With vertices a few hundred metres apart, the difference from the
  geodesic-edge area is negligible (well under 0.01 %).
* rural flag: ``density < RURAL_DENSITY_THRESHOLD`` inhabitants per km².
* simplification: topology-preserving Douglas-Peucker. Rings are cut into arcs wherever the
  set of départements sharing an edge changes; every arc is simplified once (so that shared
  borders stay identical on both sides, with no gaps nor overlaps), in a local plane where
  one unit of longitude is scaled by cos(43.6°). Arcs whose simplification would create a
  segment crossing are simplified again with a smaller tolerance until no crossing remains.
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]
SOURCE_DIR = REPO_ROOT.parent / "shared" / "data" / "occitanie"
DATA_DIR = REPO_ROOT / "maillage" / "geography" / "data"
STATIC_DIR = REPO_ROOT / "maillage" / "geography" / "static" / "geography"

REGION_CODE = "76"
EXPECTED_COMMUNES = 4446
EXPECTED_DEPARTEMENTS = (
    "09",
    "11",
    "12",
    "30",
    "31",
    "32",
    "34",
    "46",
    "48",
    "65",
    "66",
    "81",
    "82",
)
# Density (inhabitants/km²) under which a département is flagged rural. It seeds the
# programme's configurable "rural territories" bonus; the matching settings may override it.
RURAL_DENSITY_THRESHOLD = 60.0

# GRS80 ellipsoid (the one of RGF93 / ETRS89; WGS84 differs by 0.1 mm on the minor axis).
GRS80_A = 6_378_137.0
GRS80_F = 1 / 298.257222101
GRS80_E2 = GRS80_F * (2 - GRS80_F)
GRS80_E = math.sqrt(GRS80_E2)

# Simplification: Douglas-Peucker tolerance in degrees of latitude (0.003° ≈ 330 m).
SIMPLIFY_TOLERANCE = 0.003
SIMPLIFY_MIN_TOLERANCE = 0.0001
LOCAL_LATITUDE = 43.6  # the middle of the region, for the longitude scale of the local plane
COORD_DECIMALS = 4
MAX_GEOJSON_BYTES = 80_000

Point = tuple[float, float]
Ring = list[Point]
Polygon = list[Ring]

COMMUNE_COLUMNS = (
    "insee_code",
    "name",
    "departement_code",
    "postal_codes",
    "population",
    "latitude",
    "longitude",
)
DEPARTEMENT_COLUMNS = (
    "code",
    "name",
    "region_code",
    "population",
    "area_km2",
    "density",
    "rural",
)


# --------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------


def read_communes(path: Path) -> list[dict[str, str]]:
    """Read and check the source communes, returned sorted by INSEE code."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    communes: list[dict[str, str]] = []
    for row in rows:
        insee = row["insee_code"].strip()
        if len(insee) < 5 and insee.isdigit():
            insee = insee.zfill(5)  # a spreadsheet may have eaten the leading zero
        departement = row["departement_code"].strip().zfill(2)
        postal_codes = sorted(set(row["postal_codes"].split()))
        commune = {
            "insee_code": insee,
            "name": row["name"].strip(),
            "departement_code": departement,
            "departement_name": row["departement_name"].strip(),
            "postal_codes": " ".join(postal_codes),
            "population": str(int(row["population"])),
            "latitude": f"{float(row['latitude']):.5f}",
            "longitude": f"{float(row['longitude']):.5f}",
        }
        check_commune(commune)
        communes.append(commune)
    communes.sort(key=lambda commune: commune["insee_code"])
    codes = [commune["insee_code"] for commune in communes]
    if len(set(codes)) != len(codes):
        raise ValueError("duplicate INSEE codes in the source")
    if len(communes) != EXPECTED_COMMUNES:
        raise ValueError(f"expected {EXPECTED_COMMUNES} communes, got {len(communes)}")
    return communes


def check_commune(commune: dict[str, str]) -> None:
    """Raise ValueError when a commune row is not plausible for Occitanie."""
    insee = commune["insee_code"]
    problems: list[str] = []
    if len(insee) != 5 or not insee[:2].isdigit() or insee[:2] != commune["departement_code"]:
        problems.append("INSEE code does not match the département")
    if commune["departement_code"] not in EXPECTED_DEPARTEMENTS:
        problems.append("département outside Occitanie")
    if not commune["name"]:
        problems.append("empty name")
    postal_codes = commune["postal_codes"].split()
    if not postal_codes or any(len(code) != 5 or not code.isdigit() for code in postal_codes):
        problems.append("bad postal code")
    if not 42.3 <= float(commune["latitude"]) <= 45.1:
        problems.append("latitude outside Occitanie")
    if not -0.4 <= float(commune["longitude"]) <= 4.9:
        problems.append("longitude outside Occitanie")
    if int(commune["population"]) < 0:
        problems.append("negative population")
    if problems:
        raise ValueError(f"commune {insee}: {', '.join(problems)}")


def read_departement_polygons(path: Path) -> dict[str, tuple[str, list[Polygon]]]:
    """Return {code: (name, polygons)} from the GeoJSON FeatureCollection."""
    collection = json.loads(path.read_text(encoding="utf-8"))
    result: dict[str, tuple[str, list[Polygon]]] = {}
    for feature in collection["features"]:
        code = str(feature["properties"]["code"]).zfill(2)
        name = str(feature["properties"]["nom"])
        geometry = feature["geometry"]
        raw = (
            geometry["coordinates"]
            if geometry["type"] == "MultiPolygon"
            else [geometry["coordinates"]]
        )
        polygons = [
            [[(float(x), float(y)) for x, y, *_ in ring] for ring in polygon] for polygon in raw
        ]
        result[code] = (name, polygons)
    if sorted(result) != sorted(EXPECTED_DEPARTEMENTS):
        raise ValueError(f"unexpected départements in the GeoJSON: {sorted(result)}")
    return result


# --------------------------------------------------------------------------------------
# Areas
# --------------------------------------------------------------------------------------


def authalic_q(latitude_deg: float) -> float:
    """The q(φ) function of the ellipsoidal equal-area projections (Snyder, eq. 3-12)."""
    sin_phi = math.sin(math.radians(latitude_deg))
    e_sin = GRS80_E * sin_phi
    return (1 - GRS80_E2) * (
        sin_phi / (1 - e_sin * e_sin) - math.log((1 - e_sin) / (1 + e_sin)) / (2 * GRS80_E)
    )


def ring_area_m2(ring: Sequence[Point]) -> float:
    """Unsigned area of a ring, in m², in the cylindrical equal-area projection (GRS80)."""
    projected = [(GRS80_A * math.radians(lon), GRS80_A * authalic_q(lat) / 2) for lon, lat in ring]
    total = 0.0
    for (x1, y1), (x2, y2) in zip(projected, projected[1:] + projected[:1], strict=True):
        total += x1 * y2 - x2 * y1
    return abs(total) / 2


def polygons_area_km2(polygons: Iterable[Polygon]) -> float:
    """Area of a (multi)polygon in km²: outer rings minus holes."""
    area = 0.0
    for polygon in polygons:
        outer, *holes = polygon
        area += ring_area_m2(outer) - sum(ring_area_m2(hole) for hole in holes)
    return area / 1e6


# --------------------------------------------------------------------------------------
# Topology-preserving simplification
# --------------------------------------------------------------------------------------

LON_SCALE = math.cos(math.radians(LOCAL_LATITUDE))


def _plane(point: Point) -> Point:
    return (point[0] * LON_SCALE, point[1])


def _segment_distance(point: Point, start: Point, end: Point) -> float:
    px, py = _plane(point)
    ax, ay = _plane(start)
    bx, by = _plane(end)
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def douglas_peucker(points: Sequence[Point], tolerance: float) -> list[Point]:
    """Douglas-Peucker on an open polyline; both endpoints are kept (iterative)."""
    if len(points) <= 2:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        best_index, best_distance = -1, -1.0
        for index in range(first + 1, last):
            distance = _segment_distance(points[index], points[first], points[last])
            if distance > best_distance:
                best_index, best_distance = index, distance
        if best_index != -1 and best_distance > tolerance:
            keep[best_index] = True
            stack.append((first, best_index))
            stack.append((best_index, last))
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def simplify_closed(ring: Sequence[Point], tolerance: float) -> list[Point]:
    """Simplify a closed ring without fixed nodes (islands, enclaves, holes).

    The ring (without its closing point) is cut at its first vertex and at the vertex
    farthest from it; both halves are simplified. At least a triangle is kept.
    """
    open_ring = list(ring[:-1]) if ring[0] == ring[-1] else list(ring)
    if len(open_ring) <= 3:
        return open_ring + open_ring[:1]
    origin = _plane(open_ring[0])
    far = max(
        range(1, len(open_ring)),
        key=lambda i: math.dist(origin, _plane(open_ring[i])),
    )
    first_half = douglas_peucker(open_ring[: far + 1], tolerance)
    second_half = douglas_peucker(open_ring[far:] + open_ring[:1], tolerance)
    result = first_half[:-1] + second_half[:-1]
    if len(result) < 3:
        # Keep the vertex farthest from the chord so that the ring keeps an area.
        third = max(
            range(1, len(open_ring)),
            key=lambda i: (
                _segment_distance(open_ring[i], open_ring[0], open_ring[far]) if i != far else -1.0
            ),
        )
        result = [open_ring[i] for i in sorted({0, far, third})]
    return result + result[:1]


def _edge_key(a: Point, b: Point) -> tuple[Point, Point]:
    return (a, b) if a <= b else (b, a)


class Arc:
    """A piece of boundary between two nodes, shared by one or two rings."""

    def __init__(self, points: list[Point]) -> None:
        self.points = points
        self.tolerance = SIMPLIFY_TOLERANCE
        self.simplified = douglas_peucker(points, self.tolerance)

    def refine(self) -> bool:
        """Halve the tolerance; False when the arc is already at the minimum tolerance."""
        if self.tolerance <= SIMPLIFY_MIN_TOLERANCE:
            return False
        self.tolerance /= 2
        self.simplified = douglas_peucker(self.points, self.tolerance)
        return True


class ClosedArc(Arc):
    """A whole ring without nodes."""

    def __init__(self, points: list[Point]) -> None:
        self.points = points
        self.tolerance = SIMPLIFY_TOLERANCE
        self.simplified = simplify_closed(points, self.tolerance)

    def refine(self) -> bool:
        if self.tolerance <= SIMPLIFY_MIN_TOLERANCE:
            return False
        self.tolerance /= 2
        self.simplified = simplify_closed(self.points, self.tolerance)
        return True


# A ring is rebuilt from (arc, reversed?) pieces.
RingPlan = list[tuple[Arc, bool]]


def build_arcs(
    departements: dict[str, tuple[str, list[Polygon]]],
) -> dict[str, list[list[RingPlan]]]:
    """Cut every ring into arcs shared between neighbouring départements."""
    edge_owners: dict[tuple[Point, Point], set[tuple[str, int, int]]] = defaultdict(set)
    for code, (_, polygons) in departements.items():
        for p_index, polygon in enumerate(polygons):
            for r_index, ring in enumerate(polygon):
                for a, b in zip(ring, ring[1:], strict=False):
                    edge_owners[_edge_key(a, b)].add((code, p_index, r_index))

    def owners(a: Point, b: Point) -> frozenset[str]:
        return frozenset(code for code, _, _ in edge_owners[_edge_key(a, b)])

    arcs: dict[tuple[Point, ...], Arc] = {}
    plans: dict[str, list[list[RingPlan]]] = {}
    for code in sorted(departements):
        _, polygons = departements[code]
        plans[code] = []
        for polygon in polygons:
            polygon_plan: list[RingPlan] = []
            for ring in polygon:
                vertices = ring[:-1] if ring[0] == ring[-1] else list(ring)
                count = len(vertices)
                edge_sets = [owners(vertices[i], vertices[(i + 1) % count]) for i in range(count)]
                nodes = [i for i in range(count) if edge_sets[i - 1] != edge_sets[i]]
                if not nodes:
                    key = tuple(vertices)
                    if key not in arcs:
                        arcs[key] = ClosedArc(vertices + vertices[:1])
                    polygon_plan.append([(arcs[key], False)])
                    continue
                ring_plan: RingPlan = []
                for n_index, start in enumerate(nodes):
                    end = nodes[(n_index + 1) % len(nodes)]
                    length = (end - start) % count or count
                    piece = [vertices[(start + k) % count] for k in range(length + 1)]
                    forward, backward = tuple(piece), tuple(reversed(piece))
                    if forward in arcs:
                        ring_plan.append((arcs[forward], False))
                    elif backward in arcs:
                        ring_plan.append((arcs[backward], True))
                    else:
                        arcs[forward] = Arc(piece)
                        ring_plan.append((arcs[forward], False))
                polygon_plan.append(ring_plan)
            plans[code].append(polygon_plan)
    return plans


def _round(point: Point) -> Point:
    return (round(point[0], COORD_DECIMALS), round(point[1], COORD_DECIMALS))


def assemble_ring(plan: RingPlan) -> list[Point]:
    """Concatenate the simplified arcs of a ring, rounded, without repeated vertices."""
    points: list[Point] = []
    for arc, backwards in plan:
        piece = list(reversed(arc.simplified)) if backwards else arc.simplified
        for point in piece:
            rounded = _round(point)
            if not points or points[-1] != rounded:
                points.append(rounded)
    if points[0] != points[-1]:
        points.append(points[0])
    return points


def _orientation(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _segments_cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """True when two segments intersect anywhere except at a shared endpoint."""
    shared = {p1, p2} & {q1, q2}
    if shared:
        # Touching at a common vertex is legal, unless the segments are collinear and overlap.
        if len(shared) == 2:
            return False
        other_p = p2 if p1 in shared else p1
        other_q = q2 if q1 in shared else q1
        common = next(iter(shared))
        if _orientation(common, other_p, other_q) != 0:
            return False
        return (other_p[0] - common[0]) * (other_q[0] - common[0]) + (other_p[1] - common[1]) * (
            other_q[1] - common[1]
        ) > 0
    d1 = _orientation(q1, q2, p1)
    d2 = _orientation(q1, q2, p2)
    d3 = _orientation(p1, p2, q1)
    d4 = _orientation(p1, p2, q2)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True

    def on_segment(a: Point, b: Point, c: Point) -> bool:
        return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(
            a[1], b[1]
        )

    return (
        (d1 == 0 and on_segment(q1, q2, p1))
        or (d2 == 0 and on_segment(q1, q2, p2))
        or (d3 == 0 and on_segment(p1, p2, q1))
        or (d4 == 0 and on_segment(p1, p2, q2))
    )


def find_crossings(
    plans: dict[str, list[list[RingPlan]]],
) -> set[Arc]:
    """Return the arcs involved in a segment crossing of the assembled geometry."""
    segments: dict[tuple[Point, Point], Arc] = {}
    for code in sorted(plans):
        for polygon_plan in plans[code]:
            for ring_plan in polygon_plan:
                for arc, backwards in ring_plan:
                    piece = [_round(p) for p in arc.simplified]
                    if backwards:
                        piece.reverse()
                    for a, b in zip(piece, piece[1:], strict=False):
                        if a != b:
                            segments.setdefault(_edge_key(a, b), arc)
    cell = 0.05
    grid: dict[tuple[int, int], list[tuple[Point, Point]]] = defaultdict(list)
    for segment in segments:
        (x1, y1), (x2, y2) = segment
        for gx in range(math.floor(min(x1, x2) / cell), math.floor(max(x1, x2) / cell) + 1):
            for gy in range(math.floor(min(y1, y2) / cell), math.floor(max(y1, y2) / cell) + 1):
                grid[(gx, gy)].append(segment)
    bad: set[Arc] = set()
    for bucket in grid.values():
        for i, first in enumerate(bucket):
            for second in bucket[i + 1 :]:
                if _segments_cross(*first, *second):
                    bad.add(segments[first])
                    bad.add(segments[second])
    return bad


def simplify_departements(
    departements: dict[str, tuple[str, list[Polygon]]],
) -> dict[str, Any]:
    """Return the simplified FeatureCollection (topology preserved, no crossings)."""
    plans = build_arcs(departements)
    while True:
        bad = find_crossings(plans)
        if not bad:
            break
        refined = [arc.refine() for arc in sorted(bad, key=lambda arc: arc.points[0])]
        if not any(refined):
            raise RuntimeError("could not remove the crossings of the simplified boundaries")
    features: list[dict[str, Any]] = []
    for code in sorted(departements):
        name, _ = departements[code]
        polygons = [
            [[list(point) for point in assemble_ring(ring_plan)] for ring_plan in polygon_plan]
            for polygon_plan in plans[code]
        ]
        geometry: dict[str, Any] = (
            {"type": "Polygon", "coordinates": polygons[0]}
            if len(polygons) == 1
            else {"type": "MultiPolygon", "coordinates": polygons}
        )
        features.append(
            {"type": "Feature", "properties": {"code": code, "nom": name}, "geometry": geometry}
        )
    return {"type": "FeatureCollection", "features": features}


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore"
        )
        writer.writeheader()
        writer.writerows(rows)


def departement_rows(
    communes: Sequence[dict[str, str]],
    departements: dict[str, tuple[str, list[Polygon]]],
) -> list[dict[str, str]]:
    population: dict[str, int] = defaultdict(int)
    names: dict[str, str] = {}
    for commune in communes:
        population[commune["departement_code"]] += int(commune["population"])
        names[commune["departement_code"]] = commune["departement_name"]
    rows: list[dict[str, str]] = []
    for code in EXPECTED_DEPARTEMENTS:
        geo_name, polygons = departements[code]
        if names.get(code) != geo_name:
            raise ValueError(f"département {code}: {names.get(code)!r} != {geo_name!r}")
        area = polygons_area_km2(polygons)
        density = population[code] / area
        rows.append(
            {
                "code": code,
                "name": geo_name,
                "region_code": REGION_CODE,
                "population": str(population[code]),
                "area_km2": f"{area:.1f}",
                "density": f"{density:.1f}",
                "rural": "1" if density < RURAL_DENSITY_THRESHOLD else "0",
            }
        )
    return rows


def main() -> None:
    communes = read_communes(SOURCE_DIR / "communes.csv")
    departements = read_departement_polygons(SOURCE_DIR / "departements-occitanie.geojson")

    write_csv(DATA_DIR / "communes.csv", COMMUNE_COLUMNS, communes)
    rows = departement_rows(communes, departements)
    write_csv(DATA_DIR / "departements.csv", DEPARTEMENT_COLUMNS, rows)

    collection = simplify_departements(departements)
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n"
    size = len(text.encode("utf-8"))
    if size > MAX_GEOJSON_BYTES:
        raise RuntimeError(f"simplified GeoJSON is {size} bytes (> {MAX_GEOJSON_BYTES})")
    STATIC_DIR.mkdir(parents=True, exist_ok=True)
    (STATIC_DIR / "departements.geojson").write_text(text, encoding="utf-8")

    vertex_count = sum(
        len(ring) for feature in collection["features"] for ring in _rings(feature["geometry"])
    )
    print(f"communes.csv: {len(communes)} communes")
    for row in rows:
        print(
            f"  {row['code']} {row['name']:<20} pop {row['population']:>8} "
            f"area {row['area_km2']:>7} km² density {row['density']:>6} rural {row['rural']}"
        )
    print(f"departements.geojson: {size} bytes, {vertex_count} vertices")


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    coordinates: list[Any] = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        return list(coordinates)
    return [ring for polygon in coordinates for ring in polygon]


if __name__ == "__main__":
    main()
