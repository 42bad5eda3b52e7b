"""Background work run by the django-tasks database worker (``manage.py db_worker``)."""

from typing import Any

from django_tasks import TaskContext, task

from . import emails


@task()
def deliver_email(email_id: int) -> str:
    """Send one outbox e-mail (``core.emails.deliver``): sent once, retried on SMTP errors.

    The task carries the row id only: no address or text sits in the task queue.
    """
    return emails.deliver(email_id)


@task()
def sweep_outbox() -> dict[str, Any]:
    """Same as ``manage.py send_queued_email``: recover lost or stuck e-mails, purge old ones."""
    return emails.sweep().as_dict()


@task(takes_context=True)
def send_email(
    context: TaskContext,
    subject: str,
    body: str,
    to: list[str],
    html_body: str = "",
    reply_to: list[str] | None = None,
) -> int:
    """Tasks queued before the outbox existed (by this name) still send, through the outbox.

    Keyed on the task result's id: a task run twice writes and sends one e-mail.
    """
    email = emails.queue_email(
        subject,
        body,
        to,
        html_body=html_body,
        reply_to=reply_to or [],
        idempotency_key=f"task:{context.task_result.id}",
    )
    return email.pk
