"""Shared builders of the review tests."""

import pytest

from maillage.applications.models import ApplicationState
from maillage.people.models import Role
from tests.factories import ApplicationFactory, ScoringGridFactory, UserFactory


@pytest.fixture
def coordinator():
    return UserFactory(roles=[Role.COORDINATOR])


@pytest.fixture
def member():
    return UserFactory(roles=[Role.COMMITTEE])


@pytest.fixture
def grid():
    """A grid (two criteria: /5 weight 2 and /10 weight 1) on an open call."""
    return ScoringGridFactory()


def under_review(call, **kwargs):
    application = ApplicationFactory(call=call, submitted=True, **kwargs)
    application.state = ApplicationState.UNDER_REVIEW
    application.save(update_fields=["state"])
    return application
