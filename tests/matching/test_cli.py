"""Command-line contract: JSON on stdout and exit 0, or exit 2 with a message on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from maillage.matching.cli import main

ROOT = Path(__file__).resolve().parents[2]

VALID = {
    "needs": [
        {"id": "n1", "days": 2, "organisation": "A"},
        {"id": "n2", "days": 1, "organisation": "B"},
        {"id": "n3", "days": 1, "organisation": "C"},
    ],
    "mentors": [
        {"id": "m1", "organisation": "A", "max_transfers": 2, "capacity_days": 3},
        {"id": "m2", "organisation": "C", "max_transfers": 1, "capacity_days": 5},
    ],
    "candidates": [
        {"need": "n1", "mentor": "m1", "score": 9},
        {"need": "n1", "mentor": "m2", "score": 0.75},
        {"need": "n2", "mentor": "m1", "score": 0.5},
        {"need": "n2", "mentor": "m2", "score": 0.6},
        {"need": "n3", "mentor": "m1", "score": 0.4},
        {"need": "n3", "mentor": "m2", "score": 2.0},
    ],
}


def run(tmp_path: Path, capsys, payload) -> tuple[int, str, str]:
    path = tmp_path / "problem.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    code = main(["solve", str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_solves_and_prints_json(tmp_path, capsys) -> None:
    code, out, err = run(tmp_path, capsys, VALID)
    assert code == 0
    result = json.loads(out)
    assert set(result) == {"assignments", "total_score", "upper_bound", "optimal", "seconds"}
    # n1-m1 shares organisation A: never assigned despite its score of 9.
    assert result["assignments"] == [
        {"need": "n1", "mentor": "m2", "score": 0.75},
        {"need": "n2", "mentor": "m1", "score": 0.5},
        {"need": "n3", "mentor": "m1", "score": 0.4},
    ]
    assert result["total_score"] == pytest.approx(1.65)
    assert result["optimal"] is True


def test_module_entry_point_with_stdin() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "maillage.matching", "solve", "-"],
        input=json.dumps({**VALID, "time_limit_s": 5}),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["optimal"] is True


def test_help() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "maillage.matching", "solve", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert completed.returncode == 0
    assert "PROBLEM.json" in completed.stdout


def with_candidate(**fields):
    data = json.loads(json.dumps(VALID))
    data["candidates"].append({"need": "n1", "mentor": "m2", "score": 1.0, **fields})
    return data


def without(section: str, field: str):
    data = json.loads(json.dumps(VALID))
    del data[section][0][field]
    return data


def replaced(section: str, field: str, value):
    data = json.loads(json.dumps(VALID))
    data[section][0][field] = value
    return data


BAD_INPUTS = {
    "malformed json": ('{"needs": [', "malformed JSON"),
    "not an object": ("[1, 2]", "expected an object"),
    "unknown need": (with_candidate(need="ghost"), "unknown need id 'ghost'"),
    "unknown mentor": (with_candidate(mentor="ghost"), "unknown mentor id 'ghost'"),
    "missing needs": ({"mentors": [], "candidates": []}, "missing field 'needs'"),
    "missing need days": (without("needs", "days"), "needs[0]: missing field 'days'"),
    "missing mentor cap": (
        without("mentors", "capacity_days"),
        "mentors[0]: missing field 'capacity_days'",
    ),
    "missing score": (without("candidates", "score"), "candidates[0]: missing field 'score'"),
    "days as string": (replaced("needs", "days", "2"), "needs[0].days: expected an integer"),
    "days as float": (replaced("needs", "days", 1.5), "needs[0].days: expected an integer"),
    "negative transfers": (
        replaced("mentors", "max_transfers", -1),
        "mentors[0].max_transfers: expected a non-negative integer",
    ),
    "bool transfers": (
        replaced("mentors", "max_transfers", True),
        "mentors[0].max_transfers: expected an integer",
    ),
    "id as number": (replaced("needs", "id", 7), "needs[0].id: expected a string"),
    "score as string": (
        replaced("candidates", "score", "high"),
        "candidates[0].score: expected a number",
    ),
    "needs not a list": ({**VALID, "needs": {}}, "needs: expected a list"),
    "duplicate need": (
        {**VALID, "needs": VALID["needs"] + [VALID["needs"][0]]},
        "duplicate need id 'n1'",
    ),
    "bad time limit": ({**VALID, "time_limit_s": -1}, "time_limit_s: expected a positive"),
    "infinite score": (
        '{"needs": [], "mentors": [], "candidates": [{"need": "a", '
        '"mentor": "b", "score": Infinity}]}',
        "finite",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_exits_2_with_message(tmp_path, capsys, name) -> None:
    payload, message = BAD_INPUTS[name]
    code, out, err = run(tmp_path, capsys, payload)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ")
    assert message in err


def test_missing_file(tmp_path, capsys) -> None:
    code = main(["solve", str(tmp_path / "absent.json")])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == "" and "cannot read" in captured.err


def test_unknown_id_through_the_real_process(tmp_path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(with_candidate(mentor="ghost")))
    completed = subprocess.run(
        [sys.executable, "-m", "maillage.matching", "solve", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "unknown mentor id 'ghost'" in completed.stderr
