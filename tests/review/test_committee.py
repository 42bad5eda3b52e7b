"""Committee members: what they see, conflicts of interest and scoring."""

import pytest
from django.urls import reverse

from maillage.applications.models import ApplicationState
from maillage.people.models import Gender, Role
from maillage.review.models import ConflictKind, ReviewAssignment, Score
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    ReviewAssignmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _scores_post(grid, values, action="submit", **extra):
    criteria = list(grid.criteria.all())
    data = {f"score_{c.pk}": str(v) for c, v in zip(criteria, values, strict=False) if v != ""}
    data.update({f"comment_{c.pk}": f"Commentaire {c.label}" for c in criteria})
    data["overall_comment"] = "Besoin clair, à soutenir."
    data[action] = "1"
    data.update(extra)
    return data


def test_a_member_only_sees_their_assignments_and_never_a_conflicted_one(client, member, grid):
    mine = ReviewAssignmentFactory(reviewer=member, application__call=grid.call, declared=True)
    conflicted = ReviewAssignmentFactory(
        reviewer=member, application__call=grid.call, declared=ConflictKind.PERSONAL_LINK
    )
    someone_else = ReviewAssignmentFactory(application__call=grid.call, declared=True)
    client.force_login(member)
    body = client.get(reverse("review:mine")).content.decode()
    assert mine.application.reference in body
    assert conflicted.application.reference not in body
    assert someone_else.application.reference not in body
    assert client.get(reverse("review:review", args=[mine.pk])).status_code == 200
    assert client.get(reverse("review:review", args=[conflicted.pk])).status_code == 404
    assert client.get(reverse("review:review", args=[someone_else.pk])).status_code == 404
    # The dashboard lists the same applications.
    dashboard = client.get(reverse("core:dashboard_committee")).content.decode()
    assert mine.application.reference in dashboard
    assert conflicted.application.reference not in dashboard


def test_content_is_hidden_until_the_declaration_then_without_contact_or_gender(
    client, member, grid
):
    applicant = UserFactory(
        first_name="Zélie",
        last_name="Fabrègue",
        phone="04 65 71 12 34",
        gender=Gender.WOMAN,
        email="zelie.fabregue@exemple.invalid",
    )
    assignment = ReviewAssignmentFactory(
        reviewer=member,
        application__call=grid.call,
        application__applicant=applicant,
        application__need="Un besoin très particulier de régie générale.",
    )
    client.force_login(member)
    body = client.get(reverse("review:review", args=[assignment.pk])).content.decode()
    assert "conflit d&#x27;intérêts" in body
    assert "régie générale" not in body

    response = client.post(reverse("review:declare", args=[assignment.pk]), {"kind": "other"})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()

    response = client.post(reverse("review:declare", args=[assignment.pk]), {"kind": "none"})
    assert response.status_code == 302
    body = client.get(reverse("review:review", args=[assignment.pk])).content.decode()
    assert "régie générale" in body
    assert "Fabrègue" in body
    for secret in ("Zélie", "zelie.fabregue", "04 65 71", "Femme", "direction@exemple.invalid"):
        assert secret not in body


def test_declaring_a_conflict_excludes_the_member_for_good(client, member, coordinator, grid):
    assignment = ReviewAssignmentFactory(reviewer=member, application__call=grid.call)
    client.force_login(member)
    client.post(
        reverse("review:declare", args=[assignment.pk]),
        {"kind": ConflictKind.SAME_ORGANISATION},
    )
    assert client.get(reverse("review:review", args=[assignment.pk])).status_code == 404
    listing = client.get(reverse("review:mine")).content.decode()
    assert assignment.application.reference not in listing
    # The coordination sees that another member is needed.
    client.force_login(coordinator)
    body = client.get(reverse("review:assignments", args=[grid.call.pk])).content.decode()
    assert "Il faut un autre membre du comité" in body
    assert "conflit : Je travaille dans la même structure" in body


def test_scoring_draft_then_submit(client, member, grid):
    assignment = ReviewAssignmentFactory(
        reviewer=member, application__call=grid.call, declared=True
    )
    url = reverse("review:review", args=[assignment.pk])
    client.force_login(member)
    # A draft may be partial.
    response = client.post(url, _scores_post(grid, [4, ""], action="draft"))
    assert response.status_code == 302
    assert Score.objects.filter(assignment=assignment).count() == 1
    # Submitting needs every score; typed values are kept.
    response = client.post(url, _scores_post(grid, [4, ""]))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Notez chaque critère avant de valider" in body
    assert "Besoin clair, à soutenir." in body
    # Out of scale is refused by the form.
    response = client.post(url, _scores_post(grid, [6, 5]))
    assert response.status_code == 400
    response = client.post(url, _scores_post(grid, [4, 5]))
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.submitted_at is not None
    assert sorted(assignment.scores.values_list("value", flat=True)) == [4, 5]
    # Once decided, the review is read only.
    application = assignment.application
    application.state = ApplicationState.ACCEPTED
    application.save(update_fields=["state"])
    response = client.post(url, _scores_post(grid, [1, 1]))
    assert response.status_code == 400
    assert "ne peut plus être modifiée" in response.content.decode()


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.RESOURCE_PERSON, Role.FUNDER])
def test_other_roles_are_refused_everywhere_in_the_committee_area(client, role, grid):
    assignment = ReviewAssignmentFactory(application__call=grid.call, declared=True)
    client.force_login(UserFactory(roles=[role]))
    for url in [
        reverse("review:mine"),
        reverse("review:review", args=[assignment.pk]),
        reverse("review:calls"),
        reverse("review:assignments", args=[grid.call.pk]),
        reverse("review:results", args=[grid.call.pk]),
    ]:
        assert client.get(url).status_code == 403, url


def test_member_list_runs_a_constant_number_of_queries(
    client, member, django_assert_max_num_queries
):
    call = CallFactory()
    client.force_login(member)

    def add():
        for _ in range(3):
            ReviewAssignmentFactory(
                reviewer=member,
                application=ApplicationFactory(call=call, submitted=True),
                declared=True,
            )

    add()
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("review:mine"))
    add()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("review:mine"))
    assert response.content.decode().count("<tr>") == 7
    assert ReviewAssignment.objects.count() == 6
