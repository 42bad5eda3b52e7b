"""Background work of the applications app (run by the django-tasks worker)."""

from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task

from maillage.core.emails import queue_email


@task()
def send_submission_receipt(application_id: int) -> int:
    """E-mail the applicant their receipt (récépissé) as a PDF attachment."""
    from .models import Application
    from .receipts import receipt_filename, render_receipt

    application = (
        Application.objects.select_related("call__programme", "applicant", "organisation")
        .prefetch_related("competences")
        .get(pk=application_id)
    )
    with translation.override("fr"):
        context = {"application": application, "applicant": application.applicant}
        subject = " ".join(
            render_to_string("applications/email/submitted_subject.txt", context).split()
        )
        body = render_to_string("applications/email/submitted_body.txt", context)
        pdf = render_receipt(application)
    # Through the outbox (retries, sent once); keyed on the application, so this task run
    # twice still sends one receipt.
    email = queue_email(
        subject,
        body,
        [application.applicant.email],
        attachments=[(receipt_filename(application), pdf, "application/pdf")],
        idempotency_key=f"submission-receipt:{application.pk}",
    )
    return email.pk
