from django.urls import path

from . import views

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
