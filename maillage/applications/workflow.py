"""The application state machine, as pure data and one function (no Django import).

States: draft -> awaiting_employer -> submitted. An employee asks for their employer's
agreement (draft -> awaiting_employer); the employer's approval is recorded without changing
the state, and the applicant then submits; a refusal, or the applicant taking the application
back to edit it, returns it to draft. A leader agrees for their own organisation and submits
from draft. ``services`` applies these rules inside a locked transaction.
"""

from dataclasses import dataclass
from enum import StrEnum

DRAFT = "draft"
AWAITING_EMPLOYER = "awaiting_employer"
SUBMITTED = "submitted"
STATES = (DRAFT, AWAITING_EMPLOYER, SUBMITTED)


class Action(StrEnum):
    REQUEST_APPROVAL = "request_approval"
    RESEND_REQUEST = "resend_request"
    EMPLOYER_APPROVE = "employer_approve"
    EMPLOYER_REFUSE = "employer_refuse"
    REOPEN = "reopen"
    SUBMIT = "submit"


# (state, action) -> next state. Anything else is illegal.
TRANSITIONS: dict[tuple[str, Action], str] = {
    (DRAFT, Action.REQUEST_APPROVAL): AWAITING_EMPLOYER,
    (AWAITING_EMPLOYER, Action.RESEND_REQUEST): AWAITING_EMPLOYER,
    (AWAITING_EMPLOYER, Action.EMPLOYER_APPROVE): AWAITING_EMPLOYER,
    (AWAITING_EMPLOYER, Action.EMPLOYER_REFUSE): DRAFT,
    (AWAITING_EMPLOYER, Action.REOPEN): DRAFT,
    (DRAFT, Action.SUBMIT): SUBMITTED,
    (AWAITING_EMPLOYER, Action.SUBMIT): SUBMITTED,
}


@dataclass(frozen=True)
class Facts:
    """What the guards need to know about the application at the time of the action."""

    is_employee: bool
    is_leader: bool
    approved: bool  # the employer's agreement is given (and still valid)
    complete: bool  # every required answer is given
    eligible: bool  # every eligibility rule passes (the employer's agreement included)


class TransitionError(Exception):
    """An action that the state machine does not allow; ``code`` names the reason."""

    def __init__(self, code: str, state: str, action: str) -> None:
        super().__init__(f"{action} is not allowed from {state}: {code}")
        self.code = code
        self.state = state
        self.action = action


def refusal(state: str, action: Action, facts: Facts) -> str | None:
    """Why ``action`` is refused in ``state`` (a code), or None when it is allowed."""
    if (state, action) not in TRANSITIONS:
        return "submitted" if state == SUBMITTED else "not_allowed"
    if action == Action.REQUEST_APPROVAL:
        if not facts.is_employee:
            return "not_employee"
        if not facts.complete:
            return "incomplete"
    pending_only = (Action.RESEND_REQUEST, Action.EMPLOYER_APPROVE, Action.EMPLOYER_REFUSE)
    if action in pending_only and facts.approved:
        return "already_approved"
    if action == Action.SUBMIT:
        if not facts.complete:
            return "incomplete"
        if state == DRAFT and facts.is_employee:
            return "approval_needed"
        if state == AWAITING_EMPLOYER and not facts.approved:
            return "approval_pending"
        if not facts.eligible:
            return "not_eligible"
    return None


def next_state(state: str, action: Action, facts: Facts) -> str:
    """The state after ``action``; raises TransitionError when the action is not allowed."""
    code = refusal(state, action, facts)
    if code is not None:
        raise TransitionError(code, state, action)
    return TRANSITIONS[(state, action)]
