import re

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import translation

from maillage.competences.loaders import load_taxonomy, read_taxonomy
from maillage.competences.models import Competence, Domain

pytestmark = pytest.mark.django_db

EXPECTED_DOMAINS = {
    "administration", "production", "diffusion", "communication", "son", "lumiere",
    "accompagnement", "action_culturelle", "label", "gouvernance", "rh", "financements",
    "vhss", "transition", "sante",
}  # fmt: skip


def test_taxonomy_is_loaded_with_every_sector_domain():
    taxonomy = read_taxonomy()
    assert Domain.objects.count() == len(taxonomy["domains"]) >= 17
    codes = set(Domain.objects.values_list("code", flat=True))
    # Each expected theme is covered by a domain whose code starts with or contains its stem.
    for stem in EXPECTED_DOMAINS:
        assert any(stem in code for code in codes), stem
    for domain in Domain.objects.prefetch_related("competences"):
        assert 4 <= domain.competences.count() <= 8, domain.code
    assert Competence.objects.count() == sum(len(d["competences"]) for d in taxonomy["domains"])


def test_rome_codes_and_keywords_are_well_formed():
    pattern = re.compile(r"^[A-N][0-9]{4}$")
    for competence in Competence.objects.all():
        assert all(pattern.match(code) for code in competence.rome_code_list)
        assert competence.label_fr and competence.label_en
    assert Competence.objects.exclude(rome_codes="").count() > Competence.objects.count() / 2


def test_bad_rome_code_is_rejected_by_the_database():
    domain = Domain.objects.first()
    with pytest.raises(IntegrityError):
        Competence.objects.create(domain=domain, code="x.bad", label_fr="X", rome_codes="L12")


def test_loading_twice_creates_nothing_and_keeps_ids():
    before = dict(Competence.objects.values_list("code", "pk"))
    load_taxonomy(Domain, Competence)
    assert dict(Competence.objects.values_list("code", "pk")) == before


def test_labels_follow_the_active_language():
    competence = Competence.objects.exclude(label_en="").first()
    with translation.override("en"):
        assert competence.label == competence.label_en
    with translation.override("fr"):
        assert competence.label == competence.label_fr


def test_public_taxonomy_page_lists_every_domain(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = client.get(reverse("competences:taxonomy"))
    assert response.status_code == 200
    body = response.content.decode()
    for domain in Domain.objects.all():
        assert domain.label_fr in body.replace("&#x27;", "'")
