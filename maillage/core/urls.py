from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("tableau-de-bord/candidat/", views.dashboard_applicant, name="dashboard_applicant"),
    path(
        "tableau-de-bord/personne-ressource/",
        views.dashboard_resource_person,
        name="dashboard_resource_person",
    ),
    path(
        "tableau-de-bord/coordination/", views.dashboard_coordinator, name="dashboard_coordinator"
    ),
    path("tableau-de-bord/comite/", views.dashboard_committee, name="dashboard_committee"),
    path("tableau-de-bord/financeurs/", views.dashboard_funder, name="dashboard_funder"),
    path("tableau-de-bord/administration/", views.dashboard_admin, name="dashboard_admin"),
]
