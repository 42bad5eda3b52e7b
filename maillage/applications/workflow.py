"""The application state machine, as pure data and one function (no Django import).

Applicant side: draft -> awaiting_employer -> submitted. An employee asks for their
employer's agreement (draft -> awaiting_employer); the employer's approval is recorded without
changing the state, and the applicant then submits; a refusal, or the applicant taking the
application back to edit it, returns it to draft. A leader agrees for their own organisation
and submits from draft.

Instruction and selection: the coordination may send a submitted application back
("à compléter", the applicant edits and re-submits) or start its review; the committee then
decides (accepted, waitlisted, refused, no follow-up); a waitlisted application may still be
accepted or refused later. ``services`` applies these rules inside a locked transaction.
"""

from dataclasses import dataclass
from enum import StrEnum

DRAFT = "draft"
AWAITING_EMPLOYER = "awaiting_employer"
SUBMITTED = "submitted"
TO_COMPLETE = "to_complete"
UNDER_REVIEW = "under_review"
ACCEPTED = "accepted"
WAITLISTED = "waitlisted"
REFUSED = "refused"
NO_FOLLOW_UP = "no_follow_up"
STATES = (
    DRAFT,
    AWAITING_EMPLOYER,
    SUBMITTED,
    TO_COMPLETE,
    UNDER_REVIEW,
    ACCEPTED,
    WAITLISTED,
    REFUSED,
    NO_FOLLOW_UP,
)
# States the applicant may still edit through the step form.
APPLICANT_EDITABLE = (DRAFT, TO_COMPLETE)
# States with a committee decision (final, except the waiting list).
DECIDED = (ACCEPTED, WAITLISTED, REFUSED, NO_FOLLOW_UP)


class Action(StrEnum):
    REQUEST_APPROVAL = "request_approval"
    RESEND_REQUEST = "resend_request"
    EMPLOYER_APPROVE = "employer_approve"
    EMPLOYER_REFUSE = "employer_refuse"
    REOPEN = "reopen"
    SUBMIT = "submit"
    # Instruction and selection (coordination and committee).
    REQUEST_COMPLETION = "request_completion"
    RESUBMIT = "resubmit"
    START_REVIEW = "start_review"
    ACCEPT = "accept"
    WAITLIST = "waitlist"
    REFUSE = "refuse"
    CLOSE_WITHOUT_FOLLOW_UP = "close_without_follow_up"


APPLICANT_ACTIONS = (
    Action.REQUEST_APPROVAL,
    Action.RESEND_REQUEST,
    Action.EMPLOYER_APPROVE,
    Action.EMPLOYER_REFUSE,
    Action.REOPEN,
    Action.SUBMIT,
)
# A committee outcome (the value stored as the state) -> the action that reaches it.
DECISION_ACTIONS: dict[str, Action] = {
    ACCEPTED: Action.ACCEPT,
    WAITLISTED: Action.WAITLIST,
    REFUSED: Action.REFUSE,
    NO_FOLLOW_UP: Action.CLOSE_WITHOUT_FOLLOW_UP,
}


# (state, action) -> next state. Anything else is illegal.
TRANSITIONS: dict[tuple[str, Action], str] = {
    (DRAFT, Action.REQUEST_APPROVAL): AWAITING_EMPLOYER,
    (AWAITING_EMPLOYER, Action.RESEND_REQUEST): AWAITING_EMPLOYER,
    (AWAITING_EMPLOYER, Action.EMPLOYER_APPROVE): AWAITING_EMPLOYER,
    (AWAITING_EMPLOYER, Action.EMPLOYER_REFUSE): DRAFT,
    (AWAITING_EMPLOYER, Action.REOPEN): DRAFT,
    (DRAFT, Action.SUBMIT): SUBMITTED,
    (AWAITING_EMPLOYER, Action.SUBMIT): SUBMITTED,
    (SUBMITTED, Action.REQUEST_COMPLETION): TO_COMPLETE,
    (UNDER_REVIEW, Action.REQUEST_COMPLETION): TO_COMPLETE,
    (TO_COMPLETE, Action.RESUBMIT): SUBMITTED,
    (SUBMITTED, Action.START_REVIEW): UNDER_REVIEW,
    (UNDER_REVIEW, Action.ACCEPT): ACCEPTED,
    (UNDER_REVIEW, Action.WAITLIST): WAITLISTED,
    (UNDER_REVIEW, Action.REFUSE): REFUSED,
    (UNDER_REVIEW, Action.CLOSE_WITHOUT_FOLLOW_UP): NO_FOLLOW_UP,
    (WAITLISTED, Action.ACCEPT): ACCEPTED,
    (WAITLISTED, Action.REFUSE): REFUSED,
    (WAITLISTED, Action.CLOSE_WITHOUT_FOLLOW_UP): NO_FOLLOW_UP,
    # Withdrawn, or never completed: closed without a committee.
    (SUBMITTED, Action.CLOSE_WITHOUT_FOLLOW_UP): NO_FOLLOW_UP,
    (TO_COMPLETE, Action.CLOSE_WITHOUT_FOLLOW_UP): NO_FOLLOW_UP,
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
        beyond_draft = state not in (DRAFT, AWAITING_EMPLOYER)
        return "submitted" if beyond_draft and action in APPLICANT_ACTIONS else "not_allowed"
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
    if action == Action.RESUBMIT:
        if not facts.complete:
            return "incomplete"
        if not facts.eligible:
            return "not_eligible"
    return None


def next_state(state: str, action: Action, facts: Facts) -> str:
    """The state after ``action``; raises TransitionError when the action is not allowed."""
    code = refusal(state, action, facts)
    if code is not None:
        raise TransitionError(code, state, action)
    return TRANSITIONS[(state, action)]
