"""Eligibility rules of an application, as a pure function (no Django import).

The input is a plain dataclass built by ``selectors.eligibility_input``; the output is one
result per rule with a code and the parameters of its explanation. Messages are translated on
the Django side (``selectors.explain``), so this module stays importable and testable alone.
"""

from dataclasses import dataclass, field

# Employment statuses of the call: "salarié·e·s ou dirigeant·e·s" of a music organisation.
EMPLOYEE = "salarie"
LEADER = "dirigeant"
ELIGIBLE_STATUSES = frozenset({EMPLOYEE, LEADER})

# Activities of the musiques actuelles sector (a local authority or "other" alone is not).
SECTOR_ACTIVITIES = frozenset(
    {"salle", "festival", "label", "studio", "production", "ecole", "media", "reseau"}
)

REGION = "region"
SECTOR = "sector"
STATUS = "status"
MENTOR_ORGANISATION = "mentor_organisation"
DAYS = "days"
CALL_OPEN = "call_open"
EMPLOYER = "employer"
RULES = (REGION, SECTOR, STATUS, MENTOR_ORGANISATION, DAYS, CALL_OPEN, EMPLOYER)

# Employer approval, as seen by the rules.
APPROVAL_NOT_REQUESTED = "not_requested"
APPROVAL_PENDING = "pending"
APPROVAL_APPROVED = "approved"
APPROVAL_REFUSED = "refused"


@dataclass(frozen=True)
class EligibilityInput:
    organisation_id: int | None
    organisation_region_code: str | None
    programme_region_code: str
    organisation_activities: frozenset[str]
    employment_status: str
    mentor_organisation_id: int | None
    days: int | None
    min_days: int
    max_days: int
    call_open: bool
    employer_approval: str = APPROVAL_NOT_REQUESTED
    sector_activities: frozenset[str] = field(default=SECTOR_ACTIVITIES)


@dataclass(frozen=True)
class RuleResult:
    code: str
    passed: bool
    # Which explanation applies ("ok", "missing", …) and its values.
    reason: str
    params: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "passed": self.passed, "reason": self.reason, **self.params}


def _region(data: EligibilityInput) -> RuleResult:
    if data.organisation_id is None:
        return RuleResult(REGION, False, "missing")
    passed = data.organisation_region_code == data.programme_region_code
    return RuleResult(REGION, passed, "ok" if passed else "outside")


def _sector(data: EligibilityInput) -> RuleResult:
    if data.organisation_id is None:
        return RuleResult(SECTOR, False, "missing")
    passed = bool(data.organisation_activities & data.sector_activities)
    return RuleResult(SECTOR, passed, "ok" if passed else "outside")


def _status(data: EligibilityInput) -> RuleResult:
    if not data.employment_status:
        return RuleResult(STATUS, False, "missing")
    passed = data.employment_status in ELIGIBLE_STATUSES
    return RuleResult(STATUS, passed, data.employment_status if passed else "other")


def _mentor_organisation(data: EligibilityInput) -> RuleResult:
    if data.mentor_organisation_id is None:
        return RuleResult(MENTOR_ORGANISATION, True, "none")
    same = data.organisation_id is not None and data.mentor_organisation_id == data.organisation_id
    return RuleResult(MENTOR_ORGANISATION, not same, "same" if same else "ok")


def _days(data: EligibilityInput) -> RuleResult:
    bounds: dict[str, object] = {"min": data.min_days, "max": data.max_days}
    if data.days is None:
        return RuleResult(DAYS, False, "missing", bounds)
    passed = data.min_days <= data.days <= data.max_days
    return RuleResult(DAYS, passed, "ok" if passed else "outside", {**bounds, "days": data.days})


def _call_open(data: EligibilityInput) -> RuleResult:
    return RuleResult(CALL_OPEN, data.call_open, "ok" if data.call_open else "closed")


def _employer(data: EligibilityInput) -> RuleResult:
    if data.employment_status != EMPLOYEE:
        # A leader agrees for their own organisation; other statuses fail the status rule.
        return RuleResult(EMPLOYER, True, "self" if data.employment_status == LEADER else "na")
    passed = data.employer_approval == APPROVAL_APPROVED
    return RuleResult(EMPLOYER, passed, data.employer_approval)


def evaluate(data: EligibilityInput) -> list[RuleResult]:
    """Every rule, in a stable order (the order they are shown in)."""
    return [
        _region(data),
        _sector(data),
        _status(data),
        _mentor_organisation(data),
        _days(data),
        _call_open(data),
        _employer(data),
    ]


def is_eligible(results: list[RuleResult]) -> bool:
    return all(result.passed for result in results)


def failing_except(results: list[RuleResult], *codes: str) -> list[RuleResult]:
    """The failed rules other than ``codes`` (e.g. everything but the employer's approval)."""
    return [r for r in results if not r.passed and r.code not in codes]
