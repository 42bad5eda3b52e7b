"""Accessibility audit (issue 5, point 13): axe-core, WCAG 2.0/2.1 A and AA, in Chromium, on
every main page of every role in its main states, and the behaviour of forms in error.

The audit builds one realistic data set (``seed_demo``) once and walks every visitor's pages
on one browser page, signing each visitor in by swapping a session cookie (no login form).
Violations of every page are collected, then reported together: page, rule, impact, target
selectors. No axe rule is disabled. MAILLAGE_A11Y_SCREENSHOTS=1 saves what was audited.
"""

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Locator, Page, expect

from maillage.applications import services as application_services
from maillage.applications.models import Application, ApplicationState
from maillage.calls.models import Call
from maillage.core import demo
from maillage.pairing.models import Proposal, ProposalStatus
from maillage.people.models import ResourcePerson, Role, User, ValidationStatus
from maillage.review.models import CommitteeSession, ReviewAssignment
from maillage.transfers.models import TransferStatus
from tests.browser.a11y_support import (
    Violation,
    audit,
    error_links,
    install_axe,
    report,
    session_cookie,
)
from tests.browser_support import SCREENSHOTS
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    TOTPDeviceFactory,
    TransferFactory,
    UserFactory,
    totp_code,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

Action = Callable[[Page], None]
# MAILLAGE_A11Y_SCREENSHOTS=1 saves every audited page under var/screenshots/a11y-*.png.
SCREENSHOTS_WANTED = os.environ.get("MAILLAGE_A11Y_SCREENSHOTS") == "1"


@dataclass(frozen=True)
class Visit:
    """One page in one state: open ``path``, expect ``status``, then optionally act."""

    label: str
    path: str | Callable[[], str]
    status: int = 200
    then: Action | None = None
    # The state reached shows an error summary (a form sent with errors).
    errors: bool = False


@dataclass
class Tour:
    """Who visits (``None``: anonymous) and what, in this order."""

    role: str
    user: User | None
    visits: list[Visit] = field(default_factory=list)
    # Settings in force during the tour (the live server runs in this process).
    settings: dict[str, Any] = field(default_factory=dict)


def _screenshot(page: Page, label: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    page.screenshot(path=str(SCREENSHOTS / f"a11y-{name}.png"), full_page=True)


def _click_and_load(page: Page, button: Locator) -> None:
    """Send a form and wait for the page that answers (a POST always navigates here)."""
    with page.expect_navigation():
        button.click()


def _submit(name: str) -> Action:
    def act(page: Page) -> None:
        _click_and_load(page, page.get_by_role("button", name=name, exact=True).first)

    return act


def _fill_and_submit(fields: dict[str, str], button: str) -> Action:
    def act(page: Page) -> None:
        for label, value in fields.items():
            page.get_by_label(label, exact=True).fill(value)
        _submit(button)(page)

    return act


def _submit_starting(prefix: str) -> Action:
    def act(page: Page) -> None:
        button = page.get_by_role("button", name=re.compile("^" + re.escape(prefix))).first
        _click_and_load(page, button)

    return act


def _upload_organisations(page: Page) -> None:
    """Choose "Structures" and a CSV of two rows, one of them wrong: the import's preview
    with a structure to create and a line in error."""
    rows = [
        "Nom;Code INSEE;Activités;Effectif (ETP)",
        "Le Bikini (test);31446;salle;12",
        "La Cigalière (test);34142;salle;trois",
    ]
    page.get_by_label("Structures", exact=True).check()
    page.get_by_label("Fichier CSV ou XLSX").set_input_files(
        files=[
            {
                "name": "structures.csv",
                "mimeType": "text/csv",
                "buffer": "\r\n".join(rows).encode("utf-8-sig"),
            }
        ]
    )
    _submit("Voir l'aperçu")(page)


def _enrol(user: User) -> Action:
    """Type the code of the authenticator being set up: the recovery codes page follows."""

    def act(page: Page) -> None:
        device = TOTPDevice.objects.get(user=user, confirmed=False)
        page.get_by_label("Code à 6 chiffres").fill(totp_code(device))
        _submit("Activer")(page)

    return act


def _link_from_outbox(pattern: str) -> str:
    for message in reversed(mail.outbox):
        match = re.search(pattern, message.body)
        if match:
            return match.group(0)
    raise AssertionError(f"no e-mail with a link matching {pattern}")


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def _build_tours(live_url: str) -> list[Tour | Callable[[], Tour]]:
    """Demo data plus the states it does not hold (new accounts, one-time links, a matching).

    A tour given as a function is built when its turn comes, from what earlier tours did
    (the coordinator publishes the matching, then its invitation link exists)."""
    demo.seed_demo(seed=2026)
    calls = Call.objects.order_by("-opens_on")
    open_call, past_call = calls[0], calls[1]
    users = {u.email: u for u in User.objects.filter(email__endswith="@maillage.demo")}
    coordinator, candidate = users[demo.COORDINATOR_EMAIL], users[demo.CANDIDATE_EMAIL]

    def absolute(path: str) -> str:
        return live_url + path

    # The employer's one-time page: a fresh link for the candidate's application in waiting.
    waiting = Application.objects.get(applicant=candidate, state=ApplicationState.AWAITING_EMPLOYER)
    application_services.resend_employer_request(waiting, candidate, absolute)
    employer_page = _path(_link_from_outbox(r"https?://\S+/accord-employeur/\S+/"))
    draft = Application.objects.get(applicant=candidate, state=ApplicationState.DRAFT)
    # Her application to last year's call, submitted then decided.
    decided = (
        Application.objects.filter(applicant=candidate)
        .exclude(state__in=[ApplicationState.DRAFT, ApplicationState.AWAITING_EMPLOYER])
        .get()
    )

    # Accounts that hold nothing yet: the empty forms and their errors.
    newcomer = UserFactory(roles=[Role.APPLICANT], email="nouvelle@exemple.invalid")
    new_person = UserFactory(roles=[Role.RESOURCE_PERSON], email="nouveau-pr@exemple.invalid")
    # Staff accounts at the second factor: one to enrol, one enrolled.
    to_enrol = UserFactory(roles=[Role.COORDINATOR], email="a-enroler@exemple.invalid")
    enrolled = TOTPDeviceFactory(user=UserFactory(roles=[Role.COMMITTEE])).user
    # Transfers, as imported from a spreadsheet or recorded on the platform.
    transfer = TransferFactory()
    TransferFactory(status=TransferStatus.PLANNED)

    listed = ResourcePerson.objects.listed().order_by("pk").first()
    pending = ResourcePerson.objects.filter(status=ValidationStatus.PENDING).first()
    reviews = ReviewAssignment.objects.filter(
        reviewer=users[demo.COMMITTEE_EMAIL], application__state=ApplicationState.UNDER_REVIEW
    ).order_by("pk")
    to_declare = reviews.filter(conflict_declaration__isnull=True).first()
    to_score = reviews.filter(conflict_declaration__isnull=False, submitted_at__isnull=True).first()
    open_session = CommitteeSession.objects.get(call=open_call)
    past_session = CommitteeSession.objects.get(call=past_call)
    under_review = Application.objects.filter(
        call=open_call, state=ApplicationState.UNDER_REVIEW
    ).first()
    assert listed and pending and to_declare and to_score and under_review

    anonymous = Tour(
        "anonymous",
        None,
        [
            Visit("home", "/"),
            Visit("calls", reverse("calls:list")),
            Visit("call detail", reverse("calls:detail", args=[open_call.slug])),
            Visit("competences", reverse("competences:taxonomy")),
            Visit("territories", reverse("geography:departements")),
            Visit("directory, empty query", reverse("directory:search")),
            Visit("directory, results", reverse("directory:search") + "?q=production"),
            Visit("directory, no result", reverse("directory:search") + "?q=xylophone+zeppelin"),
            Visit("directory card", reverse("directory:detail", args=[listed.pk])),
            Visit("sign-up", reverse("people:signup")),
            Visit(
                "sign-up with errors",
                reverse("people:signup"),
                then=_fill_and_submit({"Adresse e-mail": "pas-une-adresse"}, "Créer mon compte"),
                errors=True,
            ),
            Visit("login", reverse("people:login")),
            Visit(
                "login with error",
                reverse("people:login"),
                then=_fill_and_submit(
                    {"Adresse e-mail": "personne@exemple.invalid", "Mot de passe": "faux"},
                    "Se connecter",
                ),
                errors=True,
            ),
            Visit("password reset", reverse("people:password_reset")),
            Visit("employer approval", employer_page),
            Visit("privacy notice", reverse("privacy:notice")),
            Visit("accessibility statement", reverse("privacy:accessibility")),
            Visit("404", "/cette-page-n-existe-pas/", status=404),
        ],
    )
    applicant = Tour(
        "applicant",
        candidate,
        [
            Visit("dashboard", reverse("core:dashboard_applicant")),
            Visit("Mon compte", reverse("people:account")),
            Visit(
                "Mon compte with errors",
                reverse("people:account"),
                then=_fill_and_submit({"Prénom": ""}, "Enregistrer"),
                errors=True,
            ),
            Visit("password change", reverse("people:password_change")),
            Visit("decided application", reverse("applications:detail", args=[decided.pk])),
            Visit(
                "application awaiting employer", reverse("applications:step", args=[waiting.pk, 7])
            ),
            # Her draft in progress, where steps hold answers (the empty steps: below).
            *[
                Visit(f"draft, step {step}", reverse("applications:step", args=[draft.pk, step]))
                for step in (3, 5, 8)
            ],
            Visit("my data", reverse("privacy:my_data")),
            Visit("erasure", reverse("privacy:erasure")),
            Visit("403", reverse("backoffice:list"), status=403),
        ],
    )

    def new_step(step: int) -> str:
        application = Application.objects.get(applicant=newcomer)
        return reverse("applications:step", args=[application.pk, step])

    start = reverse("applications:start", args=[open_call.slug])
    newcomer_tour = Tour(
        "applicant (new)",
        newcomer,
        [
            Visit("dashboard, empty", reverse("core:dashboard_applicant")),
            Visit("start an application", start),
            Visit("empty step 1", start, then=_submit("Commencer ma candidature")),
            *[
                Visit(f"empty step {step}", lambda step=step: new_step(step))
                for step in range(2, 9)
            ],
            Visit(
                "step 1 with errors",
                lambda: new_step(1),
                then=_fill_and_submit({"Prénom": "<b>Léa</b>"}, "Enregistrer le brouillon"),
                errors=True,
            ),
            Visit(
                "step 4 with errors",
                lambda: new_step(4),
                then=_fill_and_submit({"Nombre de jours": "99"}, "Enregistrer le brouillon"),
                errors=True,
            ),
            Visit(
                "step 7 with errors",
                lambda: new_step(7),
                then=_fill_and_submit(
                    {"Son adresse e-mail": "pas-une-adresse"}, "Enregistrer le brouillon"
                ),
                errors=True,
            ),
        ],
    )
    resource_person = Tour(
        "resource person",
        users[demo.RESOURCE_PERSON_EMAIL],
        [
            Visit("dashboard", reverse("core:dashboard_resource_person")),
            Visit("profile", reverse("people:profile")),
            Visit("directory consents", reverse("people:consents")),
        ],
    )
    new_resource_person = Tour(
        "resource person (new)",
        new_person,
        [
            Visit("empty profile", reverse("people:profile")),
            Visit(
                "profile with errors",
                reverse("people:profile"),
                then=_submit("Enregistrer mon profil"),
                errors=True,
            ),
        ],
    )
    coordination = Tour(
        "coordinator",
        coordinator,
        [
            Visit("dashboard", reverse("core:dashboard_coordinator")),
            Visit("applications", reverse("backoffice:list")),
            Visit("applications, none found", reverse("backoffice:list") + "?q=zeppelin"),
            Visit("application", reverse("backoffice:detail", args=[under_review.pk])),
            Visit("revisions", reverse("backoffice:revisions", args=[under_review.pk])),
            Visit("exports", reverse("backoffice:export")),
            Visit("resource persons", reverse("people:resource_person_list")),
            Visit(
                "resource person to validate",
                reverse("people:resource_person_detail", args=[pending.pk]),
            ),
            Visit("invitation", reverse("people:resource_person_invite")),
            Visit(
                "invitation with errors",
                reverse("people:resource_person_invite"),
                then=_submit("Envoyer l'invitation"),
                errors=True,
            ),
            Visit("organisations", reverse("organisations:list")),
            Visit("transfers", reverse("transfers:list")),
            Visit("transfer", reverse("transfers:detail", args=[transfer.pk])),
            Visit("imports", reverse("imports:index")),
            Visit(
                "imports with errors",
                reverse("imports:index"),
                then=_submit("Voir l'aperçu"),
                errors=True,
            ),
            Visit("import preview", reverse("imports:index"), then=_upload_organisations),
            Visit("account security", reverse("people:security")),
            Visit("selection, calls", reverse("review:calls")),
            Visit("selection, call", reverse("review:call", args=[open_call.pk])),
            Visit("scoring grid", reverse("review:grid", args=[open_call.pk])),
            Visit("assignments", reverse("review:assignments", args=[open_call.pk])),
            Visit("results", reverse("review:results", args=[open_call.pk])),
            Visit("scores", reverse("review:application_scores", args=[under_review.pk])),
            Visit("committee session", reverse("review:session", args=[open_session.pk])),
            Visit("locked session", reverse("review:session", args=[past_session.pk])),
            Visit("decision e-mails", reverse("review:email_templates")),
            Visit("decision e-mail", reverse("review:email_template", args=["accepted"])),
            Visit("matching, calls", reverse("pairing:index")),
            Visit("matching, before the run", reverse("pairing:call", args=[past_call.pk])),
            Visit(
                "matching, proposals and alternatives",
                reverse("pairing:call", args=[past_call.pk]),
                then=_submit("Lancer la mise en relation"),
            ),
            Visit(
                "matching, published",
                reverse("pairing:call", args=[past_call.pk]),
                then=_submit_starting("Publier"),
            ),
            Visit("matching weights", reverse("pairing:settings", args=[past_call.programme_id])),
        ],
    )

    def invited_tour() -> Tour:
        proposal = Proposal.objects.filter(status=ProposalStatus.PUBLISHED).first()
        assert proposal is not None
        answer = _path(_link_from_outbox(r"https?://\S+/mise-en-relation/reponse/\S+/"))
        return Tour(
            "resource person (invited)",
            proposal.resource_person.user,
            [
                Visit("dashboard with a proposal", reverse("core:dashboard_resource_person")),
                Visit("proposal", reverse("pairing_public:my_proposal", args=[proposal.pk])),
                Visit("invitation link", answer),
            ],
        )

    committee = Tour(
        "committee member",
        users[demo.COMMITTEE_EMAIL],
        [
            Visit("dashboard", reverse("core:dashboard_committee")),
            Visit("my reviews", reverse("review:mine")),
            Visit("conflict declaration", reverse("review:review", args=[to_declare.pk])),
            Visit(
                "conflict declaration with errors",
                reverse("review:review", args=[to_declare.pk]),
                then=_submit("Enregistrer ma déclaration"),
                errors=True,
            ),
            Visit("scoring", reverse("review:review", args=[to_score.pk])),
            Visit(
                "scoring, incomplete",
                reverse("review:review", args=[to_score.pk]),
                then=_submit("Valider mon évaluation"),
                errors=True,
            ),
        ],
    )
    funder = Tour(
        "funder",
        users[demo.FUNDER_EMAIL],
        [
            Visit("dashboard", reverse("core:dashboard_funder")),
            Visit("403", reverse("backoffice:list"), status=403),
        ],
    )
    admin = Tour(
        "admin",
        users[demo.ADMIN_EMAIL],
        [
            Visit("dashboard", reverse("core:dashboard_admin")),
            Visit("audit journal", reverse("privacy:journal")),
            Visit("second factors of staff", reverse("people:two_factor_accounts")),
        ],
    )
    second_factor = {"MAILLAGE_REQUIRE_2FA": True}
    enrolment = Tour(
        "coordinator (second factor to set up)",
        to_enrol,
        [
            Visit("enrolment", reverse("people:two_factor_enrol")),
            Visit(
                "enrolment with a wrong code",
                reverse("people:two_factor_enrol"),
                then=_fill_and_submit({"Code à 6 chiffres": "000000"}, "Activer"),
                errors=True,
            ),
            Visit(
                "recovery codes",
                reverse("people:two_factor_enrol"),
                then=_enrol(to_enrol),
            ),
        ],
        settings=second_factor,
    )
    verification = Tour(
        "committee member (second factor)",
        enrolled,
        [
            Visit("verification", reverse("people:two_factor_verify")),
            Visit(
                "verification with a wrong code",
                reverse("people:two_factor_verify"),
                then=_fill_and_submit({"Code de vérification": "000000"}, "Vérifier"),
                errors=True,
            ),
        ],
        settings=second_factor,
    )
    return [
        anonymous,
        applicant,
        newcomer_tour,
        resource_person,
        new_resource_person,
        coordination,
        invited_tour,
        committee,
        funder,
        admin,
        enrolment,
        verification,
    ]


@pytest.fixture
def signed_in_page(browser, live_server):
    """One browser page for every visitor: signing in is swapping the session cookie.

    One page rather than one per role: the browser keeps one renderer process, and axe-core
    is loaded in each page before its own scripts. The CSP is bypassed only for axe-core."""
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    install_axe(context)
    page = context.new_page()
    page.set_default_timeout(10_000)

    def as_visitor(user: User | None) -> Page:
        context.clear_cookies()
        if user is not None:
            context.add_cookies([session_cookie(user, live_server.url)])
        return page

    yield as_visitor
    context.close()


def _walk(
    page: Page, base: str, tour: Tour, violations: list[Violation], problems: list[str]
) -> int:
    """Visit each page of the tour, audit it, and return how many pages were audited."""
    audited = 0
    for visit in tour.visits:
        label = f"{tour.role}: {visit.label}"
        path = visit.path if isinstance(visit.path, str) else visit.path()
        response = page.goto(base + path)
        assert response is not None
        if response.status != visit.status:
            problems.append(f"[{label}] {path} answered {response.status}")
            continue
        if urlsplit(page.url).path != urlsplit(path).path:
            problems.append(f"[{label}] {path} redirected to {page.url}")
            continue
        if visit.then is not None:
            visit.then(page)
        if visit.errors and not page.locator("#error-summary").count():
            problems.append(f"[{label}] no error summary after sending the form")
        # Folded content (score details, alternatives, more rows) is audited too.
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        violations.extend(audit(page, label))
        problems.extend(f"[{label}] {problem}" for problem in error_links(page))
        if SCREENSHOTS_WANTED:
            _screenshot(page, label)
        audited += 1
    return audited


def test_every_main_page_of_every_role_has_no_axe_violation(live_server, signed_in_page):
    violations: list[Violation] = []
    problems: list[str] = []
    planned = audited = 0
    for tour_or_builder in _build_tours(live_server.url):
        tour = tour_or_builder if isinstance(tour_or_builder, Tour) else tour_or_builder()
        page = signed_in_page(tour.user)
        planned += len(tour.visits)
        with override_settings(**tour.settings):
            audited += _walk(page, live_server.url, tour, violations, problems)
    assert not problems, "\n".join(problems)
    assert not violations, report(violations)
    assert audited == planned


def test_a_failed_submit_focuses_the_error_summary_whose_links_lead_to_the_fields(
    live_server, signed_in_page
):
    """Sign-up, login, an application step and the resource-person profile: after a refused
    submit, focus is on the error summary (read first by screen readers), each of its links
    leads to a field marked invalid and described by its message, and following the first
    link puts the keyboard focus in that field."""
    applicant = UserFactory(roles=[Role.APPLICANT])
    draft = ApplicationFactory(applicant=applicant, call=CallFactory())
    person = UserFactory(roles=[Role.RESOURCE_PERSON])
    cases = [
        (
            "sign-up",
            None,
            reverse("people:signup"),
            _fill_and_submit({"Adresse e-mail": "pas-une-adresse"}, "Créer mon compte"),
            "#id_first_name",
        ),
        (
            "login",
            None,
            reverse("people:login"),
            _fill_and_submit({"Adresse e-mail": "pas-une-adresse"}, "Se connecter"),
            "#id_username",
        ),
        (
            "application step 4",
            applicant,
            reverse("applications:step", args=[draft.pk, 4]),
            _fill_and_submit({"Nombre de jours": "99"}, "Enregistrer le brouillon"),
            "#id_days",
        ),
        (
            "resource-person profile",
            person,
            reverse("people:profile"),
            _submit("Enregistrer mon profil"),
            "#id_years_of_experience",
        ),
    ]
    for name, user, path, send, first_link in cases:
        page = signed_in_page(user)
        page.goto(live_server.url + path)
        send(page)
        summary = page.locator("#error-summary")
        expect(summary, name).to_be_focused()
        expect(summary, name).to_have_attribute("role", "alert")
        links = summary.locator("a[href^='#']")
        assert links.count() >= 1, name
        assert error_links(page) == [], name
        href = links.first.get_attribute("href")
        assert href == first_link, name
        # Following the link moves the keyboard focus to the field (or into its group).
        links.first.press("Enter")
        target = page.locator(str(href))
        if target.evaluate("e => e.matches('input, select, textarea')"):
            expect(target, name).to_be_focused()
        else:
            assert page.evaluate("() => window.location.hash") == href, name
