"""Background work run by the django-tasks database worker (``manage.py db_worker``)."""

from django.core.mail import EmailMultiAlternatives
from django_tasks import task


@task()
def send_email(
    subject: str, body: str, to: list[str], html_body: str = "", reply_to: list[str] | None = None
) -> int:
    """Send one e-mail. Raising makes the task FAILED, visible on the admin dashboard."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to, reply_to=reply_to or [])
    if html_body:
        message.attach_alternative(html_body, "text/html")
    return message.send()
