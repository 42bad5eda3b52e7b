from django.urls import path

from . import views

app_name = "review"

urlpatterns = [
    # Committee members
    path("", views.mine, name="mine"),
    path("evaluation/<int:pk>/", views.review, name="review"),
    path("evaluation/<int:pk>/declaration/", views.declare, name="declare"),
    # Coordination
    path("appels/", views.calls, name="calls"),
    path("appels/<int:call_pk>/", views.call_overview, name="call"),
    path("appels/<int:call_pk>/grille/", views.grid, name="grid"),
    path("appels/<int:call_pk>/attributions/", views.assignments, name="assignments"),
    path(
        "appels/<int:call_pk>/attributions/automatique/",
        views.auto_assign,
        name="auto_assign",
    ),
    path("candidatures/<int:pk>/attribuer/", views.assign, name="assign"),
    path("attributions/<int:pk>/retirer/", views.unassign, name="unassign"),
    path("appels/<int:call_pk>/resultats/", views.results, name="results"),
    path("candidatures/<int:pk>/evaluations/", views.application_scores, name="application_scores"),
    path("appels/<int:call_pk>/seances/nouvelle/", views.session_create, name="session_create"),
    path("seances/<int:pk>/", views.session, name="session"),
    path("seances/<int:pk>/ajouter/", views.session_add, name="session_add"),
    path("seances/<int:pk>/retirer/<int:item_pk>/", views.session_remove, name="session_remove"),
    path("seances/<int:pk>/decisions/", views.session_decisions, name="session_decisions"),
    path("seances/<int:pk>/verrouiller/", views.session_lock, name="session_lock"),
    path("modeles-e-mails/", views.email_templates, name="email_templates"),
    path("modeles-e-mails/<str:outcome>/", views.email_template, name="email_template"),
    path(
        "modeles-e-mails/<str:outcome>/apercu/",
        views.email_preview,
        name="email_preview",
    ),
]
