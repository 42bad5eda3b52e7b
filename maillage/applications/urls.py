from django.urls import path

from . import views

app_name = "applications"

urlpatterns = [
    path("nouvelle/<slug:call_slug>/", views.start, name="start"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/etape/<int:step>/", views.step, name="step"),
    path("<int:pk>/reprendre/", views.reopen, name="reopen"),
    path("<int:pk>/messages/", views.message, name="message"),
    path("<int:pk>/recepisse.pdf", views.receipt, name="receipt"),
    path("<int:pk>/pieces/<int:attachment_pk>/", views.attachment_download, name="attachment"),
    path(
        "<int:pk>/pieces/<int:attachment_pk>/supprimer/",
        views.attachment_delete,
        name="attachment_delete",
    ),
    path("competences/suggestions/", views.competence_suggestions, name="competence_suggestions"),
    path(
        "personnes-ressources/recherche/",
        views.resource_person_search,
        name="resource_person_search",
    ),
    path("accord-employeur/<str:token>/", views.employer_approval, name="employer_approval"),
]
