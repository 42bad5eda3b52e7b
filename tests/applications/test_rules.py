"""Pure logic: eligibility rules, the state machine, file sniffing and competence suggestions."""

import dataclasses
import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maillage.applications import eligibility as el
from maillage.applications import workflow as wf
from maillage.applications.filetypes import detect_bytes
from maillage.applications.suggestions import Candidate, fold, suggest

from .conftest import make_docx, make_odt

ACTIVITIES = ["salle", "festival", "label", "collectivite", "autre", "ecole"]
STATUSES = ["salarie", "dirigeant", "autre", ""]
APPROVALS = [
    el.APPROVAL_NOT_REQUESTED,
    el.APPROVAL_PENDING,
    el.APPROVAL_APPROVED,
    el.APPROVAL_REFUSED,
]


@st.composite
def inputs(draw):
    low = draw(st.integers(1, 5))
    return el.EligibilityInput(
        organisation_id=draw(st.one_of(st.none(), st.integers(1, 4))),
        organisation_region_code=draw(st.sampled_from(["76", "75", "11"])),
        programme_region_code="76",
        organisation_activities=frozenset(draw(st.lists(st.sampled_from(ACTIVITIES)))),
        employment_status=draw(st.sampled_from(STATUSES)),
        mentor_organisation_id=draw(st.one_of(st.none(), st.integers(1, 4))),
        days=draw(st.one_of(st.none(), st.integers(0, 12))),
        min_days=low,
        max_days=draw(st.integers(low, 8)),
        call_open=draw(st.booleans()),
        employer_approval=draw(st.sampled_from(APPROVALS)),
    )


def eligible_input(**changes):
    base = el.EligibilityInput(
        organisation_id=1,
        organisation_region_code="76",
        programme_region_code="76",
        organisation_activities=frozenset({"salle"}),
        employment_status="salarie",
        mentor_organisation_id=2,
        days=3,
        min_days=1,
        max_days=5,
        call_open=True,
        employer_approval=el.APPROVAL_APPROVED,
    )
    return dataclasses.replace(base, **changes)


def by_code(results):
    return {r.code: r for r in results}


@given(inputs())
def test_every_rule_is_reported_once_and_eligible_means_all_pass(data):
    results = el.evaluate(data)
    assert [r.code for r in results] == list(el.RULES)
    assert el.is_eligible(results) == all(r.passed for r in results)
    assert all(r.reason for r in results)


@given(inputs())
def test_each_rule_follows_its_definition(data):
    rules = by_code(el.evaluate(data))
    known = data.organisation_id is not None
    assert rules[el.REGION].passed == (known and data.organisation_region_code == "76")
    assert rules[el.SECTOR].passed == (
        known and bool(data.organisation_activities & el.SECTOR_ACTIVITIES)
    )
    assert rules[el.STATUS].passed == (data.employment_status in {"salarie", "dirigeant"})
    assert rules[el.MENTOR_ORGANISATION].passed == (
        data.mentor_organisation_id is None or data.mentor_organisation_id != data.organisation_id
    )
    assert rules[el.DAYS].passed == (
        data.days is not None and data.min_days <= data.days <= data.max_days
    )
    assert rules[el.CALL_OPEN].passed == data.call_open
    assert rules[el.EMPLOYER].passed == (
        data.employment_status != "salarie" or data.employer_approval == el.APPROVAL_APPROVED
    )


# One input, and the only rules it may change.
FLIPS = {
    "organisation_region_code": ("75", {el.REGION}),
    "organisation_activities": (frozenset({"collectivite"}), {el.SECTOR}),
    "mentor_organisation_id": (1, {el.MENTOR_ORGANISATION}),
    "days": (9, {el.DAYS}),
    "call_open": (False, {el.CALL_OPEN}),
    "employer_approval": (el.APPROVAL_PENDING, {el.EMPLOYER}),
    "employment_status": ("autre", {el.STATUS}),
}


@pytest.mark.parametrize("field", FLIPS)
def test_changing_one_input_fails_only_its_rule(field):
    value, rules = FLIPS[field]
    results = el.evaluate(eligible_input(**{field: value}))
    assert {r.code for r in results if not r.passed} == rules


@given(inputs(), st.sampled_from(sorted(FLIPS)))
def test_a_change_never_affects_unrelated_rules(data, field):
    value, related = FLIPS[field]
    before = by_code(el.evaluate(data))
    after = by_code(el.evaluate(dataclasses.replace(data, **{field: value})))
    # A status change also decides whether the employer's agreement is needed.
    related = related | ({el.EMPLOYER} if field == "employment_status" else set())
    changed = {code for code in el.RULES if before[code].passed != after[code].passed}
    assert changed <= related


def test_a_leader_needs_no_employer_approval_and_a_missing_organisation_fails():
    rules = by_code(
        el.evaluate(
            eligible_input(
                employment_status="dirigeant", employer_approval=el.APPROVAL_NOT_REQUESTED
            )
        )
    )
    assert rules[el.EMPLOYER].passed and rules[el.EMPLOYER].reason == "self"
    rules = by_code(el.evaluate(eligible_input(organisation_id=None)))
    assert not rules[el.REGION].passed and rules[el.REGION].reason == "missing"
    assert rules[el.DAYS].params == {"min": 1, "max": 5, "days": 3}


# --------------------------------------------------------------------------------------------
# State machine
# --------------------------------------------------------------------------------------------

facts_strategy = st.builds(
    wf.Facts,
    is_employee=st.booleans(),
    is_leader=st.booleans(),
    approved=st.booleans(),
    complete=st.booleans(),
    eligible=st.booleans(),
)


def test_the_transition_table_is_the_documented_one():
    assert wf.TRANSITIONS == {
        ("draft", wf.Action.REQUEST_APPROVAL): "awaiting_employer",
        ("awaiting_employer", wf.Action.RESEND_REQUEST): "awaiting_employer",
        ("awaiting_employer", wf.Action.EMPLOYER_APPROVE): "awaiting_employer",
        ("awaiting_employer", wf.Action.EMPLOYER_REFUSE): "draft",
        ("awaiting_employer", wf.Action.REOPEN): "draft",
        ("draft", wf.Action.SUBMIT): "submitted",
        ("awaiting_employer", wf.Action.SUBMIT): "submitted",
        ("submitted", wf.Action.REQUEST_COMPLETION): "to_complete",
        ("under_review", wf.Action.REQUEST_COMPLETION): "to_complete",
        ("to_complete", wf.Action.RESUBMIT): "submitted",
        ("submitted", wf.Action.START_REVIEW): "under_review",
        ("under_review", wf.Action.ACCEPT): "accepted",
        ("under_review", wf.Action.WAITLIST): "waitlisted",
        ("under_review", wf.Action.REFUSE): "refused",
        ("under_review", wf.Action.CLOSE_WITHOUT_FOLLOW_UP): "no_follow_up",
        ("waitlisted", wf.Action.ACCEPT): "accepted",
        ("waitlisted", wf.Action.REFUSE): "refused",
        ("waitlisted", wf.Action.CLOSE_WITHOUT_FOLLOW_UP): "no_follow_up",
        ("submitted", wf.Action.CLOSE_WITHOUT_FOLLOW_UP): "no_follow_up",
        ("to_complete", wf.Action.CLOSE_WITHOUT_FOLLOW_UP): "no_follow_up",
    }


@pytest.mark.parametrize(
    ("state", "action", "facts", "code"),
    [
        ("submitted", wf.Action.SUBMIT, {}, "submitted"),
        ("draft", wf.Action.EMPLOYER_APPROVE, {}, "not_allowed"),
        ("draft", wf.Action.REQUEST_APPROVAL, {"is_employee": False}, "not_employee"),
        ("draft", wf.Action.REQUEST_APPROVAL, {"complete": False}, "incomplete"),
        ("draft", wf.Action.SUBMIT, {}, "approval_needed"),
        ("awaiting_employer", wf.Action.SUBMIT, {"approved": False}, "approval_pending"),
        (
            "awaiting_employer",
            wf.Action.SUBMIT,
            {"approved": True, "eligible": False},
            "not_eligible",
        ),
        ("awaiting_employer", wf.Action.EMPLOYER_APPROVE, {"approved": True}, "already_approved"),
        ("under_review", wf.Action.SUBMIT, {}, "submitted"),
        ("draft", wf.Action.START_REVIEW, {}, "not_allowed"),
        ("accepted", wf.Action.REFUSE, {}, "not_allowed"),
        ("refused", wf.Action.ACCEPT, {}, "not_allowed"),
        ("waitlisted", wf.Action.WAITLIST, {}, "not_allowed"),
        ("submitted", wf.Action.ACCEPT, {}, "not_allowed"),
        ("to_complete", wf.Action.RESUBMIT, {"complete": False}, "incomplete"),
        ("to_complete", wf.Action.RESUBMIT, {"eligible": False}, "not_eligible"),
    ],
)
def test_illegal_transitions_raise_with_a_reason(state, action, facts, code):
    base = {
        "is_employee": True,
        "is_leader": False,
        "approved": False,
        "complete": True,
        "eligible": True,
    }
    with pytest.raises(wf.TransitionError) as error:
        wf.next_state(state, action, wf.Facts(**{**base, **facts}))
    assert error.value.code == code


@dataclasses.dataclass
class Simulated:
    state: str = wf.DRAFT
    approved: bool = False
    submitted_with_approval: bool | None = None


@given(
    st.booleans(),
    st.lists(
        st.tuples(st.sampled_from(list(wf.Action)), st.booleans(), st.booleans()), max_size=30
    ),
)
def test_random_action_sequences_never_reach_an_illegal_state(is_employee, steps):
    app = Simulated()
    for action, complete, eligible in steps:
        facts = wf.Facts(
            is_employee=is_employee,
            is_leader=not is_employee,
            approved=app.approved,
            complete=complete,
            eligible=eligible,
        )
        try:
            after = wf.next_state(app.state, action, facts)
        except wf.TransitionError:
            continue
        if action == wf.Action.EMPLOYER_APPROVE:
            app.approved = True
        if after == wf.DRAFT:
            app.approved = False
        assert (app.state, action) in wf.TRANSITIONS
        # Accepted, refused and "sans suite" are final; the waiting list is not.
        assert app.state not in {wf.ACCEPTED, wf.REFUSED, wf.NO_FOLLOW_UP}
        if after == wf.SUBMITTED:
            assert complete and eligible
            app.submitted_with_approval = app.approved or not is_employee
        app.state = after
        assert app.state in wf.STATES
        # Invariants: approval only while awaiting; an employee's submission was approved.
        assert not app.approved or app.state not in {wf.DRAFT}
        if app.state not in {wf.DRAFT, wf.AWAITING_EMPLOYER}:
            # Beyond the applicant's side, the application was submitted with the agreement.
            assert app.submitted_with_approval
    if app.state == wf.AWAITING_EMPLOYER:
        assert is_employee


# --------------------------------------------------------------------------------------------
# File types and suggestions
# --------------------------------------------------------------------------------------------


def test_file_types_are_recognised_by_content():
    assert detect_bytes(b"%PDF-1.7\n...") == "pdf"
    assert detect_bytes(make_odt()) == "odt"
    assert detect_bytes(make_docx()) == "docx"
    assert detect_bytes(b"MZ\x90\x00\x03 this is a Windows executable") is None
    assert detect_bytes(b"PK\x03\x04 broken zip") is None
    assert detect_bytes(b"") is None
    spreadsheet = io.BytesIO()
    with zipfile.ZipFile(spreadsheet, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    assert detect_bytes(spreadsheet.getvalue()) is None


@given(st.binary(max_size=200))
def test_random_bytes_are_never_taken_for_a_zip_document(data):
    assert detect_bytes(b"PK\x03\x04" + data) is None


@given(st.text(max_size=60))
def test_fold_is_idempotent_and_plain(text):
    folded = fold(text)
    assert fold(folded) == folded
    assert folded == folded.lower()


def test_suggestions_rank_keywords_and_phrases():
    candidates = [
        Candidate(
            1, "Budget prévisionnel et suivi budgétaire", ("budget", "budget prévisionnel"), 0
        ),
        Candidate(2, "Régie générale", ("régie", "fiche technique"), 1),
        Candidate(3, "Billetterie", ("billetterie",), 2),
    ]
    text = "Je dois construire le BUDGET prévisionnel de nos tournées et lire une fiche technique."
    assert [c.id for c in suggest(text, candidates)] == [1, 2]
    assert suggest("Budgets !", candidates)[0].id == 1
    assert suggest("", candidates) == []
