from django.urls import path

from . import views

app_name = "people"

urlpatterns = [
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
        "coordination/personnes-ressources/<int:pk>/",
        views.resource_person_detail,
        name="resource_person_detail",
    ),
]
