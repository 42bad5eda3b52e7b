from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _

from maillage.core.tasks import send_email


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Adresse e-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    error_messages = {
        "invalid_login": _(
            "Adresse e-mail ou mot de passe incorrect. Vérifiez votre saisie "
            "(les majuscules comptent dans le mot de passe)."
        ),
        "inactive": _("Ce compte est désactivé. Contactez l'équipe de coordination."),
    }

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the e-mail goes through the task queue."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        from django.template import loader

        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        send_email.enqueue(subject=subject, body=body, to=[to_email])
