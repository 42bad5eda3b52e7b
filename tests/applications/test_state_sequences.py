"""Random sequences of real service calls keep the database in a legal state."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage.applications import services
from maillage.applications.models import ApplicationEvent, ApplicationState, EmployerApproval
from maillage.applications.workflow import TransitionError
from maillage.people.models import EmploymentStatus

from .conftest import ready_application

pytestmark = pytest.mark.django_db

ACTIONS = ["request", "resend", "approve", "refuse", "reopen", "submit"]


class Rollback(Exception):
    pass


def absolute(path):
    return "http://testserver" + path


def act(application, action, counter):
    user = application.applicant
    if action == "request":
        services.request_employer_approval(application, user, absolute)
    elif action == "resend":
        services.resend_employer_request(application, user, absolute)
    elif action == "reopen":
        services.reopen(application, user)
    elif action == "submit":
        return services.submit(application, user).created
    else:
        approval = (
            EmployerApproval.objects.filter(application=application, invalidated_at__isnull=True)
            .order_by("-sent_at", "-pk")
            .first()
        )
        if approval is None:
            return False
        token = f"jeton-{counter}"
        approval.token_hash = services.hash_token(token)
        approval.save(update_fields=["token_hash"])
        link = services.decide_employer_approval(
            token, approve=action == "approve", comment="", ip_address=None, absolute=absolute
        )
        return link.status == "decided"
    return True


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    status=st.sampled_from([EmploymentStatus.EMPLOYEE, EmploymentStatus.LEADER]),
    actions=st.lists(st.sampled_from(ACTIONS), max_size=8),
)
def test_random_service_calls_never_reach_an_illegal_state(status, actions):
    try:
        with transaction.atomic():
            application = ready_application(status)
            changes = 1  # the creation event
            for counter, action in enumerate(actions):
                try:
                    with transaction.atomic():
                        if act(application, action, counter):
                            changes += 1
                except (TransitionError, services.ApplicationError):
                    pass
                application.refresh_from_db()
                assert application.state in ApplicationState.values
                if application.state == ApplicationState.SUBMITTED:
                    assert application.reference and application.submitted_at
                    assert application.employer_approved_at is not None
                if application.employer_approved_at and application.state == "draft":
                    pytest.fail("a draft never keeps an employer's approval")
                if status == EmploymentStatus.LEADER:
                    assert application.state != ApplicationState.AWAITING_EMPLOYER
            assert ApplicationEvent.objects.filter(application=application).count() == changes
            raise Rollback
    except Rollback:
        pass
