"""Every URL pattern, requested as every kind of visitor, against another person's objects.

``EXPECTED`` below declares, for each URL name, who may use it and on which objects:

    "public"                       anyone, signed in or not
    "signed_in"                    any account; anonymous visitors go to the login page
    "roles:a,b"                    accounts holding role a or b; other accounts get 403
    "… | owner"                    among those, only the owner of the object; others get 404
    "… | owner or staff"           the owner, or a coordinator / admin; others get 404
    "… | nobody"                   the object is hidden from everyone (404), e.g. an unknown
                                   token or a file addressed through another application
and the HTTP methods the view answers ("GET", "POST" or "GET POST").

Each row is requested with GET and with POST (an empty form) as: an anonymous visitor, one
account per role who owns nothing ("strangers"), and the owner, user B, who is applicant,
resource person and committee member at once and owns every object in the URLs (an
application with its attachment, receipt and employer link, a resource-person profile with a
published proposal, a review assignment). The expected status is derived from the row:
anonymous on a non-public page → 302 to the login page; wrong role → 403; someone else's
object → 404; allowed → 200/302/400/409/410 (405 for a method the view does not answer).

A URL pattern missing from the table fails ``test_every_url_pattern_is_in_the_table``, so a
new view cannot ship without its access rule being declared and walked here.

Speed: the objects are built once for the module; each request runs in a savepoint rolled
back right after it, so a POST (a submission, a lock, a logout) never changes what the next
request sees.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from maillage.applications.models import ApplicationState
from maillage.core.permissions import rule_of
from maillage.imports.models import ImportKind, ImportStatus
from maillage.pairing.models import ProposalStatus
from maillage.people.models import Role
from tests.factories import (
    AcceptedApplicationFactory,
    ApplicationFactory,
    AttachmentFactory,
    CallFactory,
    CommitteeSessionFactory,
    EmployerApprovalFactory,
    ImportRunFactory,
    MentorInvitationFactory,
    MessageFactory,
    OrganisationFactory,
    PairRuleFactory,
    ProposalFactory,
    ResourcePersonFactory,
    ReviewAssignmentFactory,
    ScoringGridFactory,
    SessionItemFactory,
    TransferFactory,
    UserFactory,
)

STAFF = frozenset({Role.COORDINATOR.value, Role.ADMIN.value})
OWNER = "owner"
ANONYMOUS = "anonymous"
EMPLOYER_TOKEN = "jeton-employeur-de-b-0123456789abcdefghijklmnopqrstuv"
INVITATION_TOKEN = "jeton-invitation-de-b-0123456789abcdefghijklmnopqrstu"
UNKNOWN_TOKEN = "jeton-inconnu-0123456789abcdefghijklmnopqrstuvwxyzABCD"


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One request shape: ``args`` names objects of the world (see ``World.kwargs``)."""

    rule: str
    methods: str = "GET POST"
    args: tuple[str, ...] = ()
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    label: str = ""


STAFF_ROLES = "roles:admin,coordinator"
APPLICANT_OR_STAFF = "roles:admin,applicant,coordinator"

EXPECTED: dict[str, list[Case]] = {
    # Framework and core pages
    "set_language": [Case("public", "GET POST")],
    "core:home": [Case("public")],
    "core:dashboard": [Case("signed_in")],
    "core:dashboard_applicant": [Case("roles:applicant")],
    "core:dashboard_resource_person": [Case("roles:resource_person")],
    "core:dashboard_coordinator": [Case(STAFF_ROLES)],
    "core:dashboard_committee": [Case("roles:committee")],
    "core:dashboard_funder": [Case("roles:funder")],
    "core:dashboard_admin": [Case("roles:admin")],
    # Accounts
    "people:signup": [Case("public")],
    "people:login": [Case("public")],
    "people:logout": [Case("public", "POST")],
    "people:account": [Case("signed_in")],
    "people:invitation_accept": [Case("public", args=("uid_b", "bad_token"))],
    "people:password_reset": [Case("public")],
    "people:password_reset_done": [Case("public", "GET")],
    "people:password_reset_confirm": [Case("public", args=("uid_b", "bad_token"))],
    "people:password_reset_complete": [Case("public", "GET")],
    "people:password_change": [Case("signed_in")],
    "people:password_change_done": [Case("signed_in", "GET")],
    "people:profile": [Case("roles:resource_person")],
    "people:consents": [
        Case("roles:resource_person"),
        Case(
            "roles:resource_person",
            query="apercu=1&consent_directory=on",
            headers={"HTTP_HX_REQUEST": "true"},
            label="htmx preview",
        ),
    ],
    # Second factor (its own pages are reachable before the second factor is passed)
    "people:two_factor_verify": [Case("signed_in")],
    "people:two_factor_enrol": [Case("signed_in")],
    "people:security": [Case("signed_in")],
    "people:recovery_codes": [Case("signed_in")],
    "people:recovery_codes_renew": [Case("signed_in", "POST")],
    "people:two_factor_reset": [Case("signed_in", "POST")],
    "people:two_factor_accounts": [Case("roles:admin")],
    "people:two_factor_account_reset": [Case("roles:admin", args=("user_b",))],
    "people:resource_person_list": [Case(STAFF_ROLES)],
    "people:resource_person_invite": [Case(STAFF_ROLES)],
    "people:resource_person_detail": [Case(STAFF_ROLES, args=("rp_b",))],
    "people:resource_person_validate": [Case(STAFF_ROLES, "POST", args=("rp_b",))],
    "people:resource_person_suspend": [Case(STAFF_ROLES, "POST", args=("rp_b",))],
    "people:resource_person_reopen": [Case(STAFF_ROLES, "POST", args=("rp_b",))],
    # Public reference pages, directory, calls
    "calls:list": [Case("public")],
    "calls:detail": [
        Case("public", args=("call_slug",)),
        Case("public | nobody", args=("unpublished_call_slug",), label="unpublished call"),
    ],
    "geography:departements": [Case("public")],
    "geography:commune_lookup": [
        Case("public", query="code_postal=31000", label="JSON"),
        Case("public", query="code_postal=31000", headers={"HTTP_HX_REQUEST": "true"}),
    ],
    "competences:taxonomy": [Case("public")],
    "directory:search": [
        Case("public"),
        Case("public", query="q=regie", headers={"HTTP_HX_REQUEST": "true"}, label="htmx"),
    ],
    "directory:detail": [
        Case("public", args=("rp_b",)),
        Case("public | nobody", args=("rp_pending",), label="pending profile"),
    ],
    # Organisations (coordination) and the structure search used by forms
    "organisations:list": [Case(STAFF_ROLES)],
    "organisations:detail": [Case(STAFF_ROLES, args=("organisation_b",))],
    "organisations:search": [Case("signed_in", query="q=Structure")],
    # Applications: the applicant's side
    "applications:start": [Case("signed_in", "GET POST", args=("call_slug",))],
    "applications:detail": [
        Case(APPLICANT_OR_STAFF + " | owner or staff", "GET", args=("submitted_b",)),
        Case(APPLICANT_OR_STAFF + " | owner", "GET", args=("draft_b",), label="draft"),
        Case(APPLICANT_OR_STAFF + " | nobody", "GET", args=("missing",), label="missing"),
    ],
    "applications:step": [
        Case("roles:applicant | owner", args=("draft_b", "step_1")),
        Case("roles:applicant | owner", args=("draft_b", "step_6"), label="attachments"),
        Case("roles:applicant | owner", args=("draft_b", "step_8"), label="summary"),
    ],
    "applications:reopen": [Case("roles:applicant | owner", "POST", args=("awaiting_b",))],
    "applications:message": [Case("roles:applicant | owner", "POST", args=("submitted_b",))],
    "applications:receipt": [
        Case(APPLICANT_OR_STAFF + " | owner or staff", "GET", args=("submitted_b",)),
    ],
    "applications:attachment": [
        Case(
            APPLICANT_OR_STAFF + " | owner or staff",
            "GET",
            args=("submitted_b", "attachment_b"),
        ),
        Case(
            APPLICANT_OR_STAFF + " | owner",
            "GET",
            args=("draft_b", "draft_attachment_b"),
            label="draft",
        ),
        Case(
            APPLICANT_OR_STAFF + " | nobody",
            "GET",
            args=("submitted_a", "attachment_b"),
            label="B's file under A's application",
        ),
        Case(
            APPLICANT_OR_STAFF + " | nobody",
            "GET",
            args=("submitted_b", "missing_attachment"),
            label="missing",
        ),
    ],
    "applications:attachment_delete": [
        Case("roles:applicant | owner", "POST", args=("draft_b", "draft_attachment_b")),
        Case(
            "roles:applicant | nobody",
            "POST",
            args=("draft_a", "draft_attachment_b"),
            label="B's file under A's draft",
        ),
    ],
    "applications:competence_suggestions": [Case("roles:applicant", query="need=regie")],
    "applications:resource_person_search": [Case("roles:applicant", "GET", query="rp_query=re")],
    "applications:employer_approval": [
        Case("public", "GET POST", args=("employer_token",)),
        Case("public | nobody", "GET POST", args=("unknown_token",), label="unknown token"),
    ],
    # Applications: the coordination's back office
    "backoffice:list": [Case(STAFF_ROLES, "GET")],
    "backoffice:bulk": [Case(STAFF_ROLES, "POST")],
    "backoffice:export": [
        Case(STAFF_ROLES, "GET"),
        Case(STAFF_ROLES, "GET", query="format=csv&columns=reference", label="CSV file"),
        Case(STAFF_ROLES, "GET", query="format=xlsx&columns=reference", label="XLSX file"),
    ],
    "backoffice:detail": [
        Case(STAFF_ROLES, "GET", args=("submitted_b",)),
        Case(STAFF_ROLES + " | nobody", "GET", args=("draft_b",), label="draft"),
        Case(STAFF_ROLES + " | nobody", "GET", args=("missing",), label="missing"),
    ],
    "backoffice:request_completion": [Case(STAFF_ROLES, "POST", args=("submitted_b",))],
    "backoffice:start_review": [Case(STAFF_ROLES, "POST", args=("submitted_b",))],
    "backoffice:close": [Case(STAFF_ROLES, "POST", args=("submitted_b",))],
    "backoffice:note": [Case(STAFF_ROLES, "POST", args=("submitted_b",))],
    "backoffice:message": [Case(STAFF_ROLES, "POST", args=("submitted_b",))],
    "backoffice:edit": [
        Case(STAFF_ROLES, "POST", args=("submitted_b",)),
        Case(STAFF_ROLES + " | nobody", "POST", args=("draft_b",), label="draft"),
    ],
    "backoffice:revisions": [Case(STAFF_ROLES, "GET", args=("submitted_b",))],
    # Selection
    "review:mine": [Case("roles:committee", "GET")],
    "review:review": [
        Case("roles:committee | owner", args=("assignment_b",)),
        Case("roles:committee | nobody", args=("missing",), label="missing"),
    ],
    "review:declare": [Case("roles:committee | owner", "POST", args=("undeclared_assignment_b",))],
    "review:calls": [Case(STAFF_ROLES, "GET")],
    "review:call": [Case(STAFF_ROLES, "GET", args=("call",))],
    "review:grid": [Case(STAFF_ROLES, args=("call",))],
    "review:assignments": [Case(STAFF_ROLES, "GET", args=("call",))],
    "review:auto_assign": [Case(STAFF_ROLES, "POST", args=("call",))],
    "review:assign": [Case(STAFF_ROLES, "POST", args=("under_review",))],
    "review:unassign": [Case(STAFF_ROLES, "POST", args=("assignment_b",))],
    "review:results": [Case(STAFF_ROLES, "GET", args=("call",))],
    "review:application_scores": [
        Case(STAFF_ROLES, "GET", args=("under_review",)),
        Case(STAFF_ROLES + " | nobody", "GET", args=("draft_b",), label="draft"),
    ],
    "review:session_create": [Case(STAFF_ROLES, "POST", args=("call",))],
    "review:session": [Case(STAFF_ROLES, "GET", args=("session",))],
    "review:session_add": [Case(STAFF_ROLES, "POST", args=("session",))],
    "review:session_remove": [
        Case(STAFF_ROLES, "POST", args=("session", "session_item")),
        Case(
            STAFF_ROLES + " | nobody",
            "POST",
            args=("session", "other_session_item"),
            label="item of another session",
        ),
    ],
    "review:session_decisions": [Case(STAFF_ROLES, "POST", args=("session",))],
    "review:session_lock": [Case(STAFF_ROLES, "POST", args=("session",))],
    "review:email_templates": [Case(STAFF_ROLES, "GET")],
    "review:email_template": [
        Case(STAFF_ROLES, args=("outcome",)),
        Case(STAFF_ROLES + " | nobody", args=("bad_outcome",), label="unknown outcome"),
    ],
    "review:email_preview": [Case(STAFF_ROLES, "POST", args=("outcome",))],
    # Transfers and spreadsheet imports (coordination)
    "transfers:list": [Case(STAFF_ROLES, "GET")],
    "transfers:detail": [Case(STAFF_ROLES, "GET", args=("transfer_b",))],
    "imports:index": [Case(STAFF_ROLES)],
    "imports:run": [
        Case(STAFF_ROLES, "GET", args=("applied_import",)),
        Case(STAFF_ROLES + " | nobody", "GET", args=("preview_import",), label="another's preview"),
    ],
    "imports:confirm": [
        Case(STAFF_ROLES + " | nobody", "POST", args=("preview_import",), label="another's preview")
    ],
    "imports:discard": [
        Case(STAFF_ROLES + " | nobody", "POST", args=("preview_import",), label="another's preview")
    ],
    "imports:template": [
        Case(STAFF_ROLES, "GET", args=("import_kind",)),
        Case(STAFF_ROLES + " | nobody", "GET", args=("bad_import_kind",), label="unknown kind"),
    ],
    # Matching
    "pairing:index": [Case(STAFF_ROLES)],
    "pairing:call": [Case(STAFF_ROLES, args=("call",))],
    "pairing:run": [Case(STAFF_ROLES, "POST", args=("call",))],
    "pairing:publish": [Case(STAFF_ROLES, "POST", args=("call",))],
    "pairing:lock": [Case(STAFF_ROLES, "POST", args=("proposal_b",))],
    "pairing:forbid": [Case(STAFF_ROLES, "POST", args=("proposal_b",))],
    "pairing:choose": [Case(STAFF_ROLES, "POST", args=("proposal_b",))],
    "pairing:remove_rule": [Case(STAFF_ROLES, "POST", args=("pair_rule",))],
    "pairing:settings": [Case(STAFF_ROLES, args=("programme",))],
    "pairing_public:answer": [
        Case("public", args=("invitation_token",)),
        Case("public | nobody", args=("unknown_token",), label="unknown token"),
    ],
    "pairing_public:my_proposal": [
        Case("roles:resource_person | owner", args=("proposal_b",)),
        Case("roles:resource_person | nobody", args=("missing",), label="missing"),
    ],
    # Personal data
    "privacy:notice": [Case("public")],
    "privacy:accessibility": [Case("public")],
    "privacy:my_data": [Case("signed_in")],
    "privacy:erasure": [Case("signed_in")],
    "privacy:journal": [Case("roles:admin")],
}

# Third-party namespaces with their own access checks, walked by their own test below.
ADMIN_NAMESPACE = "admin"


# --------------------------------------------------------------------------------------------
# Walking the URL configuration
# --------------------------------------------------------------------------------------------


def walk(resolver: URLResolver, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry, entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            yield namespace, entry


def url_name(namespace: str, pattern: URLPattern) -> str:
    return f"{namespace}:{pattern.name}" if namespace else str(pattern.name)


def project_patterns() -> dict[str, URLPattern]:
    return {
        url_name(namespace, pattern): pattern
        for namespace, pattern in walk(get_resolver())
        if namespace != ADMIN_NAMESPACE
    }


def test_every_url_pattern_is_in_the_table():
    patterns = project_patterns()
    assert sorted(set(patterns) - set(EXPECTED)) == [], "declare the access rule of new views"
    assert sorted(set(EXPECTED) - set(patterns)) == [], "remove rows of deleted views"


def test_the_table_agrees_with_the_rule_declared_on_each_view():
    """The table's role part is the decorator's rule: a silently widened rule fails here."""
    mismatches = []
    for name, pattern in project_patterns().items():
        declared = rule_of(pattern.callback)
        if name == "set_language":
            continue
        for case in EXPECTED.get(name, []):
            if case.rule.split(" | ")[0] != declared:
                mismatches.append((name, case.rule, declared))
    assert mismatches == []


# --------------------------------------------------------------------------------------------
# The world: everything belongs to user B, and one stranger per role
# --------------------------------------------------------------------------------------------


@dataclass
class World:
    actors: dict[str, Any]
    roles: dict[str, frozenset[str]]
    kwargs: dict[str, dict[str, Any]]
    clients: dict[str, Client] = field(default_factory=dict)
    cookies: dict[str, SimpleCookie] = field(default_factory=dict)


def _build() -> World:
    call = CallFactory()
    unpublished = CallFactory(published=False)
    owner = UserFactory(
        password=None,
        organisation=OrganisationFactory(),
        roles=[Role.APPLICANT, Role.RESOURCE_PERSON, Role.COMMITTEE],
    )
    actors: dict[str, Any] = {OWNER: owner}
    for role in Role:
        # The admin is also a Django superuser, as created by createsuperuser: the flag must
        # not open the application's pages beyond the admin role.
        superuser = role == Role.ADMIN
        actors[role.value] = UserFactory(
            password=None, roles=[role], is_staff=superuser, is_superuser=superuser
        )
    stranger = actors[Role.APPLICANT.value]

    rp_b = ResourcePersonFactory(user=owner)
    rp_pending = ResourcePersonFactory(pending=True)
    draft_b = ApplicationFactory(call=call, applicant=owner, organisation=owner.organisation)
    draft_attachment_b = AttachmentFactory(application=draft_b)
    submitted_b = ApplicationFactory(
        call=call, applicant=owner, organisation=owner.organisation, submitted=True
    )
    attachment_b = AttachmentFactory(application=submitted_b, original_name="cv-de-b.pdf")
    MessageFactory(application=submitted_b)
    awaiting_b = ApplicationFactory(
        call=CallFactory(), applicant=owner, organisation=owner.organisation, awaiting_employer=True
    )
    EmployerApprovalFactory(application=awaiting_b, token=EMPLOYER_TOKEN)
    submitted_a = ApplicationFactory(call=call, applicant=stranger, submitted=True)
    draft_a = ApplicationFactory(call=CallFactory(), applicant=stranger)

    # Selection: B reviews someone else's application; a session with its agenda.
    ScoringGridFactory(call=call)
    under_review = ApplicationFactory(call=call, submitted=True)
    under_review.state = ApplicationState.UNDER_REVIEW
    under_review.save(update_fields=["state"])
    assignment_b = ReviewAssignmentFactory(application=under_review, reviewer=owner, declared=True)
    undeclared_assignment_b = ReviewAssignmentFactory(application=submitted_a, reviewer=owner)
    session = CommitteeSessionFactory(call=call)
    session_item = SessionItemFactory(session=session, application=under_review)
    other_session_item = SessionItemFactory(session=CommitteeSessionFactory(call=call))

    # Matching: a proposal published to B (as resource person) with its e-mailed link.
    need = AcceptedApplicationFactory(call=call)
    proposal_b = ProposalFactory(
        run__call=call,
        application=need,
        resource_person=rp_b,
        status=ProposalStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    MentorInvitationFactory(proposal=proposal_b, token=INVITATION_TOKEN)
    pair_rule = PairRuleFactory(application=need)

    # Transfers and imports: B's transfer as a mentee; another coordinator's import preview.
    transfer_b = TransferFactory(mentee=owner, mentee_organisation=owner.organisation)
    applied_import = ImportRunFactory()
    preview_import = ImportRunFactory(
        status=ImportStatus.PREVIEW, applied_at=None, content=b"siret;nom\n"
    )

    objects: dict[str, dict[str, Any]] = {
        "call": {"call_pk": call.pk},
        "call_slug": {"slug": call.slug, "call_slug": call.slug},
        "unpublished_call_slug": {"slug": unpublished.slug},
        "uid_b": {"uidb64": urlsafe_base64_encode(force_bytes(owner.pk))},
        "bad_token": {"token": "set-password-jeton-faux"},
        "rp_b": {"pk": rp_b.pk},
        "rp_pending": {"pk": rp_pending.pk},
        "organisation_b": {"pk": owner.organisation.pk},
        "draft_b": {"pk": draft_b.pk},
        "draft_a": {"pk": draft_a.pk},
        "draft_attachment_b": {"attachment_pk": draft_attachment_b.pk},
        "submitted_b": {"pk": submitted_b.pk},
        "submitted_a": {"pk": submitted_a.pk},
        "attachment_b": {"attachment_pk": attachment_b.pk},
        "awaiting_b": {"pk": awaiting_b.pk},
        "step_1": {"step": 1},
        "step_6": {"step": 6},
        "step_8": {"step": 8},
        "employer_token": {"token": EMPLOYER_TOKEN},
        "invitation_token": {"token": INVITATION_TOKEN},
        "unknown_token": {"token": UNKNOWN_TOKEN},
        "under_review": {"pk": under_review.pk},
        "assignment_b": {"pk": assignment_b.pk},
        "undeclared_assignment_b": {"pk": undeclared_assignment_b.pk},
        "session": {"pk": session.pk},
        "session_item": {"item_pk": session_item.pk},
        "other_session_item": {"item_pk": other_session_item.pk},
        "outcome": {"outcome": "accepted"},
        "bad_outcome": {"outcome": "inconnu"},
        "proposal_b": {"pk": proposal_b.pk},
        "pair_rule": {"pk": pair_rule.pk},
        "programme": {"programme_id": call.programme_id, "call_id": call.pk},
        # An identifier that exists nowhere: the same 404 as someone else's object, so
        # identifiers cannot be enumerated.
        "user_b": {"pk": owner.pk},
        "transfer_b": {"pk": transfer_b.pk},
        "applied_import": {"pk": applied_import.pk},
        "preview_import": {"pk": preview_import.pk},
        "import_kind": {"kind": ImportKind.ORGANISATIONS},
        "bad_import_kind": {"kind": "inconnu"},
        "missing": {"pk": 10**8},
        "missing_attachment": {"attachment_pk": 10**8},
    }
    # pairing's URLs name the call "call_id": the "call" object fills both spellings.
    objects["call"]["call_id"] = call.pk
    roles = {name: frozenset(user.roles) for name, user in actors.items()}
    roles[ANONYMOUS] = frozenset()
    return World(actors=actors, roles=roles, kwargs=objects)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """Built once in a transaction rolled back at the end of the module."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    media.enable()
    with django_db_blocker.unblock(), transaction.atomic():
        built = _build()
        for name, user in built.actors.items():
            client = Client()
            client.force_login(user)
            built.clients[name] = client
            built.cookies[name] = _copy(client.cookies)
        built.clients[ANONYMOUS] = Client()
        built.cookies[ANONYMOUS] = SimpleCookie()
        yield built
        transaction.set_rollback(True)
    media.disable()


def _copy(cookies: SimpleCookie) -> SimpleCookie:
    copy: SimpleCookie = SimpleCookie()
    copy.load(cookies.output(header="", sep=";"))
    return copy


# --------------------------------------------------------------------------------------------
# Expectations
# --------------------------------------------------------------------------------------------

ALLOWED = {200, 302, 400, 409, 410}
LOGIN = "login"


def expected(case: Case, actor: str, roles: frozenset[str]) -> str | int:
    """``LOGIN``, 403, 404 or ``"allowed"`` for ``actor`` (holding ``roles``) on ``case``."""
    access, _, objects = case.rule.partition(" | ")
    if access != "public":
        if actor == ANONYMOUS:
            return LOGIN
        if access.startswith("roles:") and not roles & set(access[6:].split(",")):
            return 403
    if objects == "nobody":
        return 404
    if objects == "owner" and actor != OWNER:
        return 404
    if objects == "owner or staff" and actor != OWNER and not roles & STAFF:
        return 404
    return "allowed"


def outcome(response: Any) -> str | int:
    status = response.status_code
    if status == 302 and response.url.startswith(reverse(settings.LOGIN_URL)):
        return LOGIN
    if status in ALLOWED:
        return "allowed"
    return status


def matches(want: str | int, got: str | int, method: str, case: Case) -> bool:
    if method not in case.methods.split():
        # A method the view does not answer: 405, or the denial the rule gives first.
        return got == 405 or got == want or (want == "allowed" and got == "allowed")
    return got == want


# --------------------------------------------------------------------------------------------
# The walk
# --------------------------------------------------------------------------------------------


def _cases() -> list[Any]:
    return [
        pytest.param(name, case, id=f"{name}[{case.label or i}]")
        for name, cases in EXPECTED.items()
        for i, case in enumerate(cases)
    ]


def _request(world: World, actor: str, method: str, url: str, headers: dict[str, str]) -> Any:
    client = world.clients[actor]
    with transaction.atomic():
        send: Callable[..., Any] = client.get if method == "GET" else client.post
        response = send(url, **headers)
        # Streamed files (exports, attachments) are read so that their generators run.
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        transaction.set_rollback(True)
    # A logout or a password change must not leak into the next request of this actor.
    client.cookies = _copy(world.cookies[actor])
    return response


@pytest.mark.parametrize(("name", "case"), _cases())
def test_each_view_answers_each_visitor_as_declared(world, db, name, case):
    kwargs: dict[str, Any] = {}
    for arg in case.args:
        kwargs.update(world.kwargs[arg])
    pattern = project_patterns()[name]
    wanted = set(pattern.pattern.converters) | set(
        re.findall(r"\(\?P<(\w+)>", str(pattern.pattern))
    )
    url = reverse(name, kwargs={k: v for k, v in kwargs.items() if k in wanted})
    if case.query:
        url += "?" + case.query
    failures = []
    for actor in [ANONYMOUS, OWNER, *(role.value for role in Role)]:
        want = expected(case, actor, world.roles[actor])
        for method in ("GET", "POST"):
            got = outcome(_request(world, actor, method, url, case.headers))
            if not matches(want, got, method, case):
                failures.append(f"{method} {url} as {actor}: expected {want}, got {got}")
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------------------------
# The Django admin: staff accounts only, whatever the URL
# --------------------------------------------------------------------------------------------


def _admin_urls() -> list[str]:
    """Every admin URL, its variable parts filled with plausible values."""
    values = {"object_id": "1", "content_type_id": "1", "url": "inconnu/"}

    def fill(route: str) -> str:
        route = re.sub(
            r"\(\?P<(\w+)>([^)]*)\)",
            lambda m: values.get(m.group(1)) or m.group(2).split("|")[0],
            route,
        )
        route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "people"), route)
        return route.lstrip("^").rstrip("$")

    urls = []

    def collect(resolver: URLResolver, prefix: str, inside: bool) -> None:
        for entry in resolver.url_patterns:
            route = prefix + fill(str(entry.pattern))
            if isinstance(entry, URLResolver):
                collect(entry, route, inside or entry.namespace == ADMIN_NAMESPACE)
            elif inside:
                urls.append("/" + route)

    collect(get_resolver(), "", False)
    return urls


CHANGELIST = re.compile(r"/admin/(\w+/\w+/)?")


def test_the_django_admin_is_for_staff_accounts_only(world, db):
    urls = _admin_urls()
    assert len(urls) > 20
    admin_login = reverse("admin:login")
    failures = []
    for actor in [ANONYMOUS, OWNER, *(role.value for role in Role)]:
        is_staff = actor != ANONYMOUS and world.actors[actor].is_staff
        for url in urls:
            if url.startswith((admin_login, reverse("admin:logout"))):
                continue
            if is_staff and not CHANGELIST.fullmatch(url):
                # For the staff account, the index and the lists show the admin still works;
                # the point of this test is everyone else.
                continue
            response = _request(world, actor, "GET", url, {})
            if is_staff:
                # The admin's own permission checks apply (read-only models answer 403).
                ok = response.status_code in {200, 302, 403, 404}
            else:
                ok = response.status_code == 302 and response.url.startswith(admin_login)
            if not ok:
                failures.append(f"GET {url} as {actor}: {response.status_code}")
    assert not failures, "\n".join(failures)
