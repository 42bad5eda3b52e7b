from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "maillage.people"
    verbose_name = _("Personnes")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from . import auth, checks  # noqa: F401 - registers the system checks

        user_logged_out.connect(auth.end_sessions_at_logout, dispatch_uid="people-end-sessions")
