"""Data model of the assignment problem and its JSON (dict) conversion.

Pure Python: this module must never import Django.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload


class ProblemError(ValueError):
    """The problem description is malformed or inconsistent."""


@dataclass(frozen=True, slots=True)
class Need:
    id: str
    days: int
    organisation: str


@dataclass(frozen=True, slots=True)
class Mentor:
    id: str
    organisation: str
    max_transfers: int
    capacity_days: int


@dataclass(frozen=True, slots=True)
class Candidate:
    need: str
    mentor: str
    score: float


class CandidateColumns(Sequence[Candidate]):
    """Candidates as three parallel lists (need ids, mentor ids, scores).

    A sequence of `Candidate` for every reader, but `build_model` reads the columns
    directly: a caller that has its pairs in arrays (the Django side scores 40,000 of them
    for a call) then creates no object per pair.
    """

    __slots__ = ("need", "mentor", "score")

    def __init__(self, need: list[str], mentor: list[str], score: list[float]) -> None:
        if not len(need) == len(mentor) == len(score):
            raise ProblemError("candidates: columns of different lengths")
        self.need = need
        self.mentor = mentor
        self.score = score

    def __len__(self) -> int:
        return len(self.need)

    @overload
    def __getitem__(self, index: int) -> Candidate: ...

    @overload
    def __getitem__(self, index: slice) -> list[Candidate]: ...

    def __getitem__(self, index: int | slice) -> Candidate | list[Candidate]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return Candidate(self.need[index], self.mentor[index], self.score[index])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CandidateColumns):
            return (self.need, self.mentor, self.score) == (other.need, other.mentor, other.score)
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        return f"CandidateColumns({len(self)} candidates)"


@dataclass(slots=True)
class Problem:
    needs: Sequence[Need]
    mentors: Sequence[Mentor]
    candidates: Sequence[Candidate]
    time_limit_s: float | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    need: str
    mentor: str
    score: float


@dataclass(slots=True)
class Result:
    assignments: list[Assignment]
    total_score: float
    upper_bound: float
    optimal: bool
    seconds: float
    # Diagnostics, not part of the JSON contract.
    method: str = field(default="", compare=False)


def _fail(where: str, message: str) -> ProblemError:
    return ProblemError(f"{where}: {message}")


def _get(obj: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        raise _fail(where, f"missing field '{key}'")
    return obj[key]


def _as_str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _fail(where, f"expected a string, got {type(value).__name__} {value!r}")
    return value


def _as_count(value: Any, where: str) -> int:
    # bool is an int subclass in Python but is never a meaningful count.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, f"expected an integer, got {type(value).__name__} {value!r}")
    if value < 0:
        raise _fail(where, f"expected a non-negative integer, got {value}")
    return value


def _as_number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(where, f"expected a number, got {type(value).__name__} {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise _fail(where, f"expected a finite number, got {value!r}")
    return number


def _as_list(obj: Mapping[str, Any], key: str) -> list[Any]:
    value = _get(obj, key, "problem")
    if not isinstance(value, list):
        raise _fail(key, f"expected a list, got {type(value).__name__}")
    return value


def _as_object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, f"expected an object, got {type(value).__name__}")
    return value


def problem_from_dict(data: Any) -> Problem:
    """Build a `Problem` from its JSON form, raising `ProblemError` on any defect."""
    root = _as_object(data, "problem")
    needs: list[Need] = []
    for position, raw in enumerate(_as_list(root, "needs")):
        where = f"needs[{position}]"
        item = _as_object(raw, where)
        needs.append(
            Need(
                id=_as_str(_get(item, "id", where), f"{where}.id"),
                days=_as_count(_get(item, "days", where), f"{where}.days"),
                organisation=_as_str(_get(item, "organisation", where), f"{where}.organisation"),
            )
        )
    mentors: list[Mentor] = []
    for position, raw in enumerate(_as_list(root, "mentors")):
        where = f"mentors[{position}]"
        item = _as_object(raw, where)
        mentors.append(
            Mentor(
                id=_as_str(_get(item, "id", where), f"{where}.id"),
                organisation=_as_str(_get(item, "organisation", where), f"{where}.organisation"),
                max_transfers=_as_count(
                    _get(item, "max_transfers", where), f"{where}.max_transfers"
                ),
                capacity_days=_as_count(
                    _get(item, "capacity_days", where), f"{where}.capacity_days"
                ),
            )
        )
    candidates: list[Candidate] = []
    for position, raw in enumerate(_as_list(root, "candidates")):
        where = f"candidates[{position}]"
        item = _as_object(raw, where)
        candidates.append(
            Candidate(
                need=_as_str(_get(item, "need", where), f"{where}.need"),
                mentor=_as_str(_get(item, "mentor", where), f"{where}.mentor"),
                score=_as_number(_get(item, "score", where), f"{where}.score"),
            )
        )
    time_limit_s: float | None = None
    if root.get("time_limit_s") is not None:
        time_limit_s = _as_number(root["time_limit_s"], "time_limit_s")
        if time_limit_s <= 0:
            raise _fail("time_limit_s", f"expected a positive number, got {time_limit_s}")
    problem = Problem(needs, mentors, candidates, time_limit_s)
    check_references(problem)
    return problem


def check_references(problem: Problem) -> None:
    """Reject duplicate ids and candidates that point to unknown ids."""
    need_ids: set[str] = set()
    for need in problem.needs:
        if need.id in need_ids:
            raise _fail("needs", f"duplicate need id {need.id!r}")
        need_ids.add(need.id)
    mentor_ids: set[str] = set()
    for mentor in problem.mentors:
        if mentor.id in mentor_ids:
            raise _fail("mentors", f"duplicate mentor id {mentor.id!r}")
        mentor_ids.add(mentor.id)
    for position, candidate in enumerate(problem.candidates):
        if candidate.need not in need_ids:
            raise _fail(f"candidates[{position}].need", f"unknown need id {candidate.need!r}")
        if candidate.mentor not in mentor_ids:
            raise _fail(f"candidates[{position}].mentor", f"unknown mentor id {candidate.mentor!r}")


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    data: dict[str, Any] = {
        "needs": [
            {"id": n.id, "days": n.days, "organisation": n.organisation} for n in problem.needs
        ],
        "mentors": [
            {
                "id": m.id,
                "organisation": m.organisation,
                "max_transfers": m.max_transfers,
                "capacity_days": m.capacity_days,
            }
            for m in problem.mentors
        ],
        "candidates": [
            {"need": c.need, "mentor": c.mentor, "score": c.score} for c in problem.candidates
        ],
    }
    if problem.time_limit_s is not None:
        data["time_limit_s"] = problem.time_limit_s
    return data


def result_to_dict(result: Result) -> dict[str, Any]:
    return {
        "assignments": [
            {"need": a.need, "mentor": a.mentor, "score": a.score} for a in result.assignments
        ],
        "total_score": result.total_score,
        "upper_bound": result.upper_bound,
        "optimal": result.optimal,
        "seconds": result.seconds,
    }
