"""Assignment engine: pairs needs with mentors, optimally, without Django."""

from .problem import (
    Assignment,
    Candidate,
    CandidateColumns,
    Mentor,
    Need,
    Problem,
    ProblemError,
    Result,
    problem_from_dict,
    problem_to_dict,
    result_to_dict,
)
from .solver import solve

__all__ = [
    "Assignment",
    "Candidate",
    "CandidateColumns",
    "Mentor",
    "Need",
    "Problem",
    "ProblemError",
    "Result",
    "problem_from_dict",
    "problem_to_dict",
    "result_to_dict",
    "solve",
]
