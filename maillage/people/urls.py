from django.urls import path

from . import two_factor_views, views

app_name = "people"

urlpatterns = [
    path("compte/", views.account, name="account"),
    path("compte/inscription/", views.signup, name="signup"),
    path(
        "compte/invitation/<uidb64>/<token>/",
        views.invitation_accept,
        name="invitation_accept",
    ),
    path("compte/personne-ressource/", views.profile, name="profile"),
    path("compte/personne-ressource/consentements/", views.consents, name="consents"),
    path("compte/connexion/", views.login, name="login"),
    path("compte/deconnexion/", views.logout, name="logout"),
    path("compte/mot-de-passe/oublie/", views.password_reset, name="password_reset"),
    path(
        "compte/mot-de-passe/oublie/envoye/",
        views.password_reset_done,
        name="password_reset_done",
    ),
    path(
        "compte/mot-de-passe/nouveau/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path(
        "compte/mot-de-passe/nouveau/termine/",
        views.password_reset_complete,
        name="password_reset_complete",
    ),
    path("compte/mot-de-passe/", views.password_change, name="password_change"),
    path("compte/mot-de-passe/modifie/", views.password_change_done, name="password_change_done"),
    path("compte/verification/", two_factor_views.verify, name="two_factor_verify"),
    path("compte/securite/", two_factor_views.security, name="security"),
    path("compte/securite/activer/", two_factor_views.enrol, name="two_factor_enrol"),
    path(
        "compte/securite/codes-de-secours/",
        two_factor_views.recovery_codes,
        name="recovery_codes",
    ),
    path(
        "compte/securite/codes-de-secours/renouveler/",
        two_factor_views.renew_recovery_codes,
        name="recovery_codes_renew",
    ),
    path(
        "compte/securite/reinitialiser/",
        two_factor_views.reset,
        name="two_factor_reset",
    ),
    path(
        "coordination/double-authentification/",
        two_factor_views.accounts,
        name="two_factor_accounts",
    ),
    path(
        "coordination/double-authentification/<int:pk>/reinitialiser/",
        two_factor_views.account_reset,
        name="two_factor_account_reset",
    ),
    path(
        "coordination/personnes-ressources/",
        views.resource_person_list,
        name="resource_person_list",
    ),
    path(
        "coordination/personnes-ressources/inviter/",
        views.resource_person_invite,
        name="resource_person_invite",
    ),
    path(
        "coordination/personnes-ressources/<int:pk>/",
        views.resource_person_detail,
        name="resource_person_detail",
    ),
    path(
        "coordination/personnes-ressources/<int:pk>/valider/",
        views.resource_person_validate,
        name="resource_person_validate",
    ),
    path(
        "coordination/personnes-ressources/<int:pk>/suspendre/",
        views.resource_person_suspend,
        name="resource_person_suspend",
    ),
    path(
        "coordination/personnes-ressources/<int:pk>/remettre-en-attente/",
        views.resource_person_reopen,
        name="resource_person_reopen",
    ),
]
