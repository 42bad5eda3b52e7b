"""Locust scenario of the load benchmark; bench/load.py runs it (headless) and reads its logs.

Two kinds of simulated people, as in real life on a call's busy days:

- ``Visitor`` (anonymous): home page, public calls, the directory of resource persons (typed
  searches, the live htmx search while typing, filters by competence / département / format /
  distance from a postal code, next pages, profile pages), the commune lookup, the taxonomy.
- ``Applicant``: takes a fresh load account (created by ``manage.py prepare_load``), logs in,
  opens the load call, starts an application and fills the eight steps like the browser does
  (CSRF token from each page, competence suggestions from the need's text, a resource person
  from the htmx search, sometimes a PDF attachment), submits it exactly once — a quarter of
  them double-click "Déposer" (two concurrent POSTs) — reads the application page and the
  receipt, logs out, and starts again with the next account. What the client saw is appended
  to ``MAILLAGE_LOAD_LOG`` (JSON lines, for the database check): "submitting" before the
  POST, "submitted" once it redirected to the application page, "confirmed" with the
  reference that page shows, "abandoned" when a page answered unexpectedly.

Every request is made without following redirects, so each page is timed on its own and each
redirect is checked against the page it must lead to; anything else is a failure. Waits
happen between pages only (``self.wait()``), never between a POST and the page it redirects
to: when the run ends, users stop between pages and no submission is cut in half.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import itertools
import json
import os
import random
import re
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

import gevent
from locust import HttpUser, between, task

ACCOUNTS = int(os.environ.get("MAILLAGE_LOAD_ACCOUNTS", "0"))
PASSWORD = os.environ.get("MAILLAGE_LOAD_PASSWORD", "")
CALL_SLUG = os.environ.get("MAILLAGE_LOAD_CALL", "appel-test-de-charge")
EMAIL_DOMAIN = os.environ.get("MAILLAGE_LOAD_EMAIL_DOMAIN", "charge.maillage.invalid")
LOG_PATH = os.environ.get("MAILLAGE_LOAD_LOG", "")
# "https" when the server sits behind a TLS-terminating proxy (production settings: secure
# cookies, SSL redirect): requests then carry X-Forwarded-Proto like the proxy would add.
SCHEME = os.environ.get("MAILLAGE_LOAD_SCHEME", "http")
DOUBLE_CLICK_SHARE = float(os.environ.get("MAILLAGE_LOAD_DOUBLE_CLICK", "0.25"))
ATTACHMENT_SHARE = float(os.environ.get("MAILLAGE_LOAD_ATTACHMENT", "0.3"))
TIMEOUT_S = 60


def seconds(name: str, default: str) -> tuple[float, float]:
    low, high = os.environ.get(name, default).split(",")
    return float(low), float(high)


# Seconds between two pages. Real people take longer (a form step takes minutes to type): the
# pace is deliberately fast, while each simulated user still acts as one person.
VISITOR_PAUSE = seconds("MAILLAGE_LOAD_VISITOR_PAUSE", "2,8")
APPLICANT_PAUSE = seconds("MAILLAGE_LOAD_APPLICANT_PAUSE", "2,6")

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PROFILE_LINK = re.compile(r'href="/annuaire/(\d+)/"')
CALL_LINK = re.compile(r'href="/appels/([a-z0-9-]+)/"')
STEP_URL = re.compile(r"^/candidatures/(\d+)/etape/(\d)/$")
REFERENCE = re.compile(r"TSF-\d{4}-\d{4,}")
COMPETENCE_BOX = re.compile(r'name="competences" value="(\d+)"')
RESOURCE_PERSON_RADIO = re.compile(r'name="proposed_resource_person" value="(\d+)"')
OWN_ORGANISATION = re.compile(r'name="organisation" value="(\d+)" checked')
SELECT = r'<select name="{}"[^>]*>(.*?)</select>'
OPTION_VALUE = re.compile(r'<option value="([^"]+)"')

SEARCH_WORDS = [
    "régie",
    "regisseuse",
    "son",
    "lumière",
    "paie",
    "subventions",
    "budget",
    "communication",
    "réseaux sociaux",
    "production",
    "diffusion",
    "booking",
    "administration",
    "médiation",
    "accompagnement artistique",
    "billetterie",
    "sécurité",
    "bénévoles",
    "mécénat",
    "tournée",
]
POSTAL_CODES = ["31000", "34000", "30000", "66000", "81000", "12000", "65000", "46000", "09000"]
FORMATS = ["immersion", "sur_site", "distance", "mixte"]
NEEDS = [
    (
        "Je dois construire le budget prévisionnel de la structure et monter des dossiers de "
        "subventions auprès de la Région et du CNM : je veux apprendre une méthode fiable.",
        "Être autonome sur le budget prévisionnel et les demandes de subventions.",
    ),
    (
        "Je reprends la régie son et lumière de notre salle sans expérience de la fiche "
        "technique ni de l'accueil des équipes en tournée.",
        "Savoir lire et négocier une fiche technique et organiser l'accueil technique.",
    ),
    (
        "Notre communication sur les réseaux sociaux et la billetterie en ligne ne touchent "
        "plus notre public : j'ai besoin de voir comment font d'autres festivals.",
        "Un plan de communication et des outils de suivi de la billetterie.",
    ),
    (
        "Je gère seule la paie des intermittents et les déclarations sociales du spectacle ; "
        "je veux sécuriser mes pratiques avec quelqu'un d'expérimenté.",
        "Des procédures de paie sûres et documentées pour toute l'équipe.",
    ),
    (
        "Nous lançons un projet de médiation et d'actions culturelles avec les écoles et je "
        "n'ai jamais construit de partenariat avec l'Éducation nationale.",
        "Un premier partenariat signé et une méthode pour les suivants.",
    ),
]
# The smallest document the upload form accepts as a PDF (checked by content).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

_numbers = itertools.count(1)
_log_lock = threading.Lock()


def next_account() -> str | None:
    """The next unused load account (users share one process: a counter is enough)."""
    number = next(_numbers)
    return f"candidat-{number:05d}@{EMAIL_DOMAIN}" if number <= ACCOUNTS else None


def log(event: dict[str, Any]) -> None:
    if not LOG_PATH:
        return
    with _log_lock, open(LOG_PATH, "a", encoding="utf-8") as stream:
        stream.write(json.dumps({**event, "at": round(time.time(), 3)}) + "\n")


def request_name(method: str, path: str) -> str:
    """Statistics group: identifiers replaced, so that the same page adds up."""
    # Step numbers stay: each step of the application form is its own page.
    name = re.sub(r"(?<!etape)/\d+/", "/<id>/", urlsplit(path).path)
    name = re.sub(r"(?<!etape)/\d+/", "/<id>/", name)
    name = re.sub(r"^/appels/(?!appel-test-de-charge/)[a-z0-9-]+/$", "/appels/<slug>/", name)
    if urlsplit(path).query:
        name += "?…"
    return f"{method} {name}"


class JourneyError(Exception):
    """A page did not answer as a browser would expect: the journey stops (already counted as
    a failure in the statistics)."""


def browse(weight: int) -> Callable[[Callable[[Any], None]], Any]:
    """A visitor's task; a page that failed is counted by locust, the visitor moves on."""

    def decorate(function: Callable[[Any], None]) -> Any:
        @functools.wraps(function)
        def run(user: Any) -> None:
            with contextlib.suppress(JourneyError):
                function(user)

        return task(weight)(run)

    return decorate


class Browser(HttpUser):
    abstract = True

    def on_start(self) -> None:
        self.origin = f"{SCHEME}://{urlsplit(self.host).netloc}"
        self.client.headers["Accept-Language"] = "fr"
        if SCHEME == "https":
            self.client.headers["X-Forwarded-Proto"] = "https"

    def call(
        self,
        method: str,
        path: str,
        *,
        expect: int = 200,
        location: str | re.Pattern[str] | None = None,
        name: str | None = None,
        htmx_target: str | None = None,
        contains: str | None = None,
        content_type: str = "text/html",
        **kwargs: Any,
    ) -> Any:
        """One request, no redirect followed, checked; raises JourneyError when unexpected."""
        headers = dict(kwargs.pop("headers", {}))
        if method == "POST":
            headers["Origin"] = self.origin  # as a browser sends it (checked by CSRF)
            headers["Referer"] = f"{self.origin}{path}"
        if htmx_target is not None:
            headers.update({"HX-Request": "true", "HX-Target": htmx_target})
        label = name or request_name(method, path) + (" (htmx)" if htmx_target else "")
        for cookie in self.client.cookies:
            # The TLS proxy is simulated on loopback: the client must send "Secure" cookies
            # over plain HTTP (requests builds a fresh cookie jar per request, so a cookie
            # policy on the session would not be used).
            cookie.secure = False
        with self.client.request(
            method,
            path,
            name=label,
            headers=headers,
            allow_redirects=False,
            catch_response=True,
            timeout=TIMEOUT_S,
            **kwargs,
        ) as response:
            problem = ""
            if response.status_code == 0:
                problem = f"no response: {response.error!r}"[:200]
            elif response.status_code != expect:
                problem = f"status {response.status_code}, expected {expect}"
            elif location is not None:
                target = urlsplit(response.headers.get("Location", "")).path
                matches = (
                    location.match(target)
                    if isinstance(location, re.Pattern)
                    else target == location
                )
                if not matches:
                    problem = f"redirected to {target!r}, expected {location}"
            elif expect == 200 and not response.headers.get("Content-Type", "").startswith(
                content_type
            ):
                problem = f"content type {response.headers.get('Content-Type')!r}"
            elif contains is not None and contains not in response.text:
                problem = f"{contains!r} missing from the page"
            if problem:
                response.failure(problem)
                raise JourneyError(f"{label}: {problem}")
            response.success()
            return response

    def page(self, path: str, **kwargs: Any) -> str:
        return str(self.call("GET", path, **kwargs).text)

    def post(self, path: str, html: str, data: dict[str, Any], **kwargs: Any) -> Any:
        """POST a form with the CSRF token of the page it was on."""
        token = CSRF.search(html)
        if token is None:
            raise JourneyError(f"no CSRF token on the page before POST {path}")
        kwargs.setdefault("expect", 302)
        return self.call("POST", path, data={**data, "csrfmiddlewaretoken": token[1]}, **kwargs)


class Visitor(Browser):
    """An anonymous visitor browsing the public side."""

    weight = 3
    wait_time = between(*VISITOR_PAUSE)

    def on_start(self) -> None:
        super().on_start()
        html = self.page("/annuaire/")
        self.competences = self._options(html, "competence")
        self.departements = self._options(html, "departement")
        self.profiles: list[str] = []

    @staticmethod
    def _options(html: str, field: str) -> list[str]:
        select = re.search(SELECT.format(field), html, re.S)
        return [v for v in OPTION_VALUE.findall(select[1]) if v] if select else []

    def _search(self, params: dict[str, Any], kind: str, *, htmx: bool = False) -> None:
        path = "/annuaire/?" + urlencode(params, doseq=True)
        name = f"GET /annuaire/ ({kind})"
        html = self.page(path, name=name, htmx_target="resultats" if htmx else None)
        self.profiles = (PROFILE_LINK.findall(html) or self.profiles)[:20]

    @browse(1)
    def home(self) -> None:
        self.page("/")

    @browse(2)
    def calls(self) -> None:
        html = self.page("/appels/")
        slugs = CALL_LINK.findall(html)
        if slugs:
            self.wait()
            self.page(f"/appels/{random.choice(slugs)}/")

    @browse(4)
    def text_search(self) -> None:
        self._search({"q": random.choice(SEARCH_WORDS)}, "text")

    @browse(2)
    def live_search(self) -> None:
        """The results refresh while the person types (htmx, 300 ms debounce)."""
        word = random.choice(SEARCH_WORDS)
        for end in sorted({min(len(word), n) for n in (3, 5, len(word))}):
            self._search({"q": word[:end]}, "live search, htmx", htmx=True)
            gevent.sleep(random.uniform(0.3, 0.8))

    @browse(3)
    def filtered_search(self) -> None:
        params: dict[str, Any] = {}
        if self.competences and random.random() < 0.7:
            params["competence"] = random.choice(self.competences)
        if self.departements and random.random() < 0.5:
            params["departement"] = random.choice(self.departements)
        if random.random() < 0.3:
            params["format"] = random.choice(FORMATS)
        if random.random() < 0.3:
            params.update(code_postal=random.choice(POSTAL_CODES), rayon=random.choice([25, 50]))
        if random.random() < 0.3:
            params["q"] = random.choice(SEARCH_WORDS)
        self._search(params, "filters")
        if random.random() < 0.3:
            self.wait()
            self._search({**params, "page": 2}, "filters, page 2")

    @browse(3)
    def profile(self) -> None:
        if not self.profiles:
            self._search({"q": random.choice(SEARCH_WORDS)}, "text")
            self.wait()
        if self.profiles:
            self.page(f"/annuaire/{random.choice(self.profiles)}/")

    @browse(1)
    def commune_lookup(self) -> None:
        code = random.choice(POSTAL_CODES)
        self.page(f"/territoires/communes/?code_postal={code}", htmx_target="id_commune")

    @browse(1)
    def taxonomy(self) -> None:
        self.page("/competences/")


class Applicant(Browser):
    """One account after another: log in, fill the application, submit once, log out."""

    weight = 2
    wait_time = between(*APPLICANT_PAUSE)

    @task
    def apply(self) -> None:
        email = next_account()
        if email is None:
            # Every account has applied: keep the user busy the way a reader would.
            self.page("/appels/")
            return
        try:
            self._journey(email)
        except JourneyError as error:
            log({"event": "abandoned", "email": email, "reason": str(error)[:300]})
            self.client.cookies.clear()

    def _journey(self, email: str) -> None:
        html = self.page("/compte/connexion/")
        response = self.post(
            "/compte/connexion/",
            html,
            {"username": email, "password": PASSWORD, "next": ""},
            location="/tableau-de-bord/",
        )
        self.call("GET", response.headers["Location"], expect=302)
        self.page("/tableau-de-bord/candidat/")
        self.wait()

        self.page("/appels/")
        self.wait()
        html = self.page(f"/appels/{CALL_SLUG}/")
        self.wait()
        start = f"/candidatures/nouvelle/{CALL_SLUG}/"
        html = self.page(start)
        self.wait()
        response = self.post(start, html, {}, location=STEP_URL)
        match = STEP_URL.match(urlsplit(response.headers["Location"]).path)
        assert match is not None
        pk = int(match[1])

        def step(number: int) -> str:
            return f"/candidatures/{pk}/etape/{number}/"

        def save(number: int, html: str, data: dict[str, Any], **kwargs: Any) -> None:
            self.post(
                step(number), html, {**data, "action": "next"}, location=step(number + 1), **kwargs
            )

        html = self.page(step(1))
        self.wait()
        save(
            1,
            html,
            {
                "first_name": "Camille",
                "last_name": f"Charge {pk}",
                "phone": "05 61 00 00 00",
                "job_title": "Direction",
                "employment_status": "dirigeant",
            },
        )

        html = self.page(step(2))
        if random.random() < 0.3:
            self.page(
                "/coordination/structures/recherche/?field=organisation&q=Structure+test",
                htmx_target="organisation-results",
            )
        own = OWN_ORGANISATION.search(html)
        if own is None:
            raise JourneyError("step 2: the applicant's organisation is not preselected")
        self.wait()
        save(2, html, {"organisation": own[1], "q": ""})

        html = self.page(step(3))
        need, results = random.choice(NEEDS)
        self.wait()
        suggested = self.post(
            "/candidatures/competences/suggestions/",
            html,
            {"need": need, "competence_query": ""},
            expect=200,
            htmx_target="competence-choices",
        ).text
        choices = list(dict.fromkeys(COMPETENCE_BOX.findall(suggested)))
        if not choices:
            raise JourneyError("step 3: no competence suggested for the need")
        picked = random.sample(choices, k=min(len(choices), random.randint(1, 3)))
        save(3, html, {"need": need, "expected_results": results, "competences": picked})

        html = self.page(step(4))
        start_day = datetime.date.today() + datetime.timedelta(days=random.randint(20, 90))
        self.wait()
        save(
            4,
            html,
            {
                "formats": random.sample(FORMATS, k=random.randint(1, 3)),
                "desired_start": start_day.isoformat(),
                "desired_end": (start_day + datetime.timedelta(days=60)).isoformat(),
                "days": random.randint(1, 5),
            },
        )

        html = self.page(step(5))
        chosen: dict[str, Any] = {
            "proposed_external_name": "",
            "proposed_external_organisation": "",
        }
        if random.random() < 0.5:
            found = self.page(
                "/candidatures/personnes-ressources/recherche/?"
                + urlencode({"rp_query": random.choice(SEARCH_WORDS)}),
                htmx_target="rp-results",
            )
            people = RESOURCE_PERSON_RADIO.findall(found)
            if people:
                chosen["proposed_resource_person"] = random.choice(people)
        self.wait()
        save(5, html, chosen)

        html = self.page(step(6))
        self.wait()
        if random.random() < ATTACHMENT_SHARE:
            self.post(
                step(6),
                html,
                {"action": "upload"},
                files={"file": ("cv.pdf", PDF, "application/pdf")},
                location=step(6),
                name="POST /candidatures/<id>/etape/6/ (upload)",
            )
            html = self.page(step(6), contains="cv.pdf")
            self.wait()
        save(6, html, {})

        html = self.page(step(7))
        self.wait()
        save(7, html, {"employer_signatory_name": "", "employer_signatory_email": ""})

        html = self.page(step(8), contains='name="attestation"')
        self.wait()
        self._submit(email, pk, step(8), html)

    def _submit(self, email: str, pk: int, path: str, html: str) -> None:
        detail = f"/candidatures/{pk}/"
        double = random.random() < DOUBLE_CLICK_SHARE
        data = {"attestation": "on"}
        log({"event": "submitting", "email": email, "pk": pk})
        if double:
            # Two clicks a few milliseconds apart: two concurrent POSTs, the browser shows the
            # answer to the last one; both must lead to the application page.
            name = "POST /candidatures/<id>/etape/8/ (submit, double click)"
            clicks = [
                gevent.spawn(self.post, path, html, data, location=detail, name=name)
                for _click in range(2)
            ]
            gevent.joinall(clicks)
            for click in clicks:
                if isinstance(click.exception, JourneyError):
                    raise click.exception
                if click.exception is not None:
                    raise JourneyError(f"double click: {click.exception!r}")
        else:
            self.post(
                path, html, data, location=detail, name="POST /candidatures/<id>/etape/8/ (submit)"
            )
        # The answer to "Déposer" is the redirection to the application page: success as the
        # person sees it. The page itself must then show the reference.
        log({"event": "submitted", "email": email, "pk": pk, "double_click": double})
        page = self.page(detail)
        reference = REFERENCE.search(page)
        if reference is None:
            raise JourneyError("the application page shows no reference after submission")
        log({"event": "confirmed", "email": email, "pk": pk, "reference": reference[0]})
        self.wait()
        if random.random() < 0.4:
            self.call("GET", f"/candidatures/{pk}/recepisse.pdf", content_type="application/pdf")
        self.page("/tableau-de-bord/candidat/")
        self.wait()
        self.post("/compte/deconnexion/", page, {}, location="/")
        self.client.cookies.clear()
