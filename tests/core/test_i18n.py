"""French is the source language; the English catalogue must cover every string."""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

PO_FILE = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES" / "django.po"


def po_entries(text: str) -> list[dict[str, str]]:
    """Minimal .po reader: msgid, msgstr (first plural form) and flags of each entry."""
    entries = []
    for block in text.strip().split("\n\n"):
        entry: dict[str, str] = {"flags": "", "msgid": "", "msgstr": ""}
        current = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] += line
            elif line.startswith("#"):
                continue
            elif match := re.match(
                r'^(msgid|msgstr|msgstr\[0\]|msgid_plural|msgstr\[\d\])\s+"(.*)"$', line
            ):
                current = match.group(1).replace("[0]", "")
                if current in ("msgid", "msgstr"):
                    entry[current] += match.group(2)
                else:
                    current = None
            elif line.startswith('"') and current in ("msgid", "msgstr"):
                entry[current] += line.strip('"')
        entries.append(entry)
    return [e for e in entries if e["msgid"]]


def test_every_string_has_an_english_translation():
    entries = po_entries(PO_FILE.read_text(encoding="utf-8"))
    assert len(entries) > 500
    untranslated = [e["msgid"] for e in entries if not e["msgstr"]]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == [], "run `make messages` and translate the new strings"
    assert fuzzy == []


def test_compiled_catalogue_is_used_for_english():
    with translation.override("en"):
        assert translation.gettext("Appels à candidatures") == "Calls for applications"


@pytest.mark.django_db
def test_home_page_switches_to_english(client):
    french = client.get(reverse("core:home"))
    assert '<html lang="fr">' in french.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("core:home")).content.decode()
    assert '<html lang="en">' in english
    assert "Learn from a peer" in english
