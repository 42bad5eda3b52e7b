"""`python -m maillage.matching solve PROBLEM.json` (or `-` for stdin).

Prints the result as JSON on stdout and exits 0; on bad input prints a
one-line message on stderr, nothing on stdout, and exits 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence

from .problem import ProblemError, problem_from_dict, result_to_dict
from .solver import solve

EXIT_BAD_INPUT = 2


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Native solvers print banners on file descriptor 1; keep stdout pure JSON."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m maillage.matching",
        description="Optimal assignment of needs to mentors (personnes-ressources).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    solve_parser = commands.add_parser(
        "solve",
        help="solve a problem file and print the result as JSON",
        description=(
            "Read PROBLEM.json ({needs, mentors, candidates, optional time_limit_s}) and "
            "print {assignments, total_score, upper_bound, optimal, seconds}. "
            "Exit status 2 on malformed input."
        ),
    )
    solve_parser.add_argument(
        "problem", metavar="PROBLEM.json", help="problem file, or - for stdin"
    )
    solve_parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        metavar="SECONDS",
        help="overrides time_limit_s from the file",
    )
    return parser


def _bad_input(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        text = _read(args.problem)
    except OSError as error:
        return _bad_input(f"cannot read {args.problem}: {error.strerror or error}")
    except UnicodeDecodeError as error:
        return _bad_input(f"{args.problem} is not UTF-8 text: {error}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return _bad_input(f"malformed JSON: {error}")
    try:
        problem = problem_from_dict(data)
    except ProblemError as error:
        return _bad_input(str(error))
    if args.time_limit is not None and args.time_limit <= 0:
        return _bad_input("--time-limit must be positive")
    with _stdout_to_stderr():
        result = solve(problem, time_limit_s=args.time_limit)
    json.dump(result_to_dict(result), sys.stdout)
    sys.stdout.write("\n")
    return 0
