"""axe-core in a real browser: load the pinned npm package and report violations readably.

axe-core is a development dependency declared in package.json (``npm ci`` installs it under
node_modules/); ``make test`` installs it when npm exists. Without it the accessibility
tests skip locally and fail in CI, like the browser itself (tests/conftest.py).
"""

import os
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0 and 2.1, levels A and AA: the level RGAA 4.1 maps to.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS: dict[str, Any] = {
    "runOnly": {"type": "tag", "values": WCAG_TAGS},
    "resultTypes": ["violations"],
}


def require_axe() -> Path:
    """The path of axe.min.js; skips the test when it is not installed (an error in CI)."""
    if not AXE.exists():
        message = f"axe-core is not installed ({AXE}): run `npm ci --no-audit --no-fund`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE


@dataclass(frozen=True)
class Violation:
    page: str
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:5])
        more = f" (+{len(self.targets) - 5} more)" if len(self.targets) > 5 else ""
        return f"[{self.page}] {self.rule} ({self.impact}): {self.help} → {shown}{more}"


def install_axe(context: Any) -> None:
    """Load axe-core in every page of a browser context, before the page's own scripts: sent
    to the browser once, cheaper than injecting it after each navigation."""
    context.add_init_script(path=str(require_axe()))


def audit(page: Any, label: str) -> list[Violation]:
    """Run axe-core on the page as it is now and return its WCAG A/AA violations."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # A page of a context without install_axe. The page's CSP would refuse this inline
        # script: contexts use bypass_csp=True, the only thing the CSP lets through in these
        # tests (tests/browser/test_csp.py checks the CSP itself).
        page.add_script_tag(path=str(require_axe()))
    result = page.evaluate("options => window.axe.run(document, options)", AXE_OPTIONS)
    return [
        Violation(
            page=label,
            rule=item["id"],
            impact=item.get("impact") or "",
            help=item["help"],
            targets=tuple(" ".join(str(part) for part in node["target"]) for node in item["nodes"]),
        )
        for item in result["violations"]
    ]


def report(violations: Iterable[Violation]) -> str:
    lines = [str(v) for v in violations]
    return f"{len(lines)} axe-core violation(s):\n" + "\n".join(lines)


def session_cookie(user: Any, url: str) -> dict[str, Any]:
    """A signed-in session for ``user``, as ``Client.force_login`` builds it, as a cookie for
    a Playwright context: no login form to fill for each role."""
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    # The first backend, as force_login picks it.
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": session.session_key,
        "url": url,
        "httpOnly": True,
        "sameSite": "Lax",
    }


# Every in-page link of an error summary leads to an element; a form control it leads to is
# marked invalid and described by its error message (directly, or through its fieldset).
ERROR_LINKS_JS = """() => {
  const problems = [];
  // One summary per page: the one that receives the focus at load.
  if (document.querySelectorAll("[id='error-summary']").length > 1) {
    problems.push('several elements have id="error-summary": only the first gets the focus');
  }
  const isError = (id) => {
    const element = id && document.getElementById(id);
    return Boolean(element && element.textContent.trim() && element.closest(".errorlist"));
  };
  for (const link of document.querySelectorAll(".error-summary a")) {
    const href = link.getAttribute("href") || "";
    if (!href.startsWith("#")) continue;
    const id = decodeURIComponent(href.slice(1));
    const target = id && document.getElementById(id);
    const text = link.textContent.trim();
    if (!target) { problems.push(`error link "${text}" leads to no element (${href})`); continue; }
    const control = target.matches("input, select, textarea");
    const group = control ? target.closest("fieldset") : target.closest("fieldset") || target;
    const describedBy = [
      ...(target.getAttribute("aria-describedby") || "").split(/\\s+/),
      ...((group && group.getAttribute("aria-describedby")) || "").split(/\\s+/),
    ];
    if (control && target.getAttribute("aria-invalid") !== "true"
        && !(target.type === "checkbox" || target.type === "radio")) {
      problems.push(`"${text}": ${href} has no aria-invalid="true"`);
    }
    if ((control || target.matches("fieldset")) && !describedBy.some(isError)) {
      problems.push(`"${text}": ${href} is not described by its error message`);
    }
  }
  return problems;
}"""


def error_links(page: Any) -> list[str]:
    """What is wrong with the page's error summaries (empty without one)."""
    return list(page.evaluate(ERROR_LINKS_JS))
