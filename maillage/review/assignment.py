"""Balanced automatic assignment of committee members to applications (pure, no Django).

Greedy and deterministic: applications with the fewest eligible reviewers are served first
(they have the least choice), and each takes the least-loaded eligible reviewers (ties broken
by id). Without exclusions and from equal loads, loads never differ by more than one; with
exclusions the balance is kept "when possible". A reviewer is never eligible for an
application where they declared a conflict or that comes from their own organisation.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reviewer:
    id: int
    organisation_id: int | None = None
    # Assignments already held (in the same call), counted in the balance.
    load: int = 0


@dataclass(frozen=True)
class Item:
    """An application to review."""

    id: int
    organisation_id: int | None = None
    # Reviewers already assigned and not conflicted: they count towards the quota.
    assigned: frozenset[int] = field(default_factory=frozenset)
    # Reviewers who declared a conflict (or were assigned and excluded): never chosen.
    excluded: frozenset[int] = field(default_factory=frozenset)


def eligible(item: Item, reviewer: Reviewer) -> bool:
    if reviewer.id in item.excluded or reviewer.id in item.assigned:
        return False
    return item.organisation_id is None or reviewer.organisation_id != item.organisation_id


def assign(
    items: Iterable[Item], reviewers: Iterable[Reviewer], per_item: int = 2
) -> dict[int, list[int]]:
    """New assignments: {item id: [reviewer ids]}, so that each item reaches ``per_item``
    reviewers, or as many as are eligible. Items needing nobody are left out."""
    if per_item < 1:
        raise ValueError("per_item must be at least 1")
    items = list(items)
    pool = sorted(reviewers, key=lambda r: r.id)
    loads: dict[int, int] = {r.id: r.load for r in pool}
    candidates: Mapping[int, list[Reviewer]] = {
        item.id: [r for r in pool if eligible(item, r)] for item in items
    }
    ordered = sorted(
        (item for item in items if item.id in candidates),
        key=lambda item: (len(candidates[item.id]), item.id),
    )
    result: dict[int, list[int]] = {}
    for item in ordered:
        needed = per_item - len(item.assigned)
        if needed <= 0:
            continue
        chosen = sorted(candidates[item.id], key=lambda r: (loads[r.id], r.id))[:needed]
        if not chosen:
            continue
        for reviewer in chosen:
            loads[reviewer.id] += 1
        result[item.id] = [r.id for r in chosen]
    return result
