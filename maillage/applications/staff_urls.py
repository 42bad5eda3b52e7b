"""The coordination's back office for applications, mounted at /coordination/candidatures/."""

from django.urls import path

from . import staff_views as views

app_name = "backoffice"

urlpatterns = [
    path("", views.application_list, name="list"),
    path("actions/", views.bulk, name="bulk"),
    path("export/", views.export, name="export"),
    path("<int:pk>/", views.application_detail, name="detail"),
    path("<int:pk>/completer/", views.request_completion, name="request_completion"),
    path("<int:pk>/instruction/", views.start_review, name="start_review"),
    path("<int:pk>/sans-suite/", views.close_without_follow_up, name="close"),
    path("<int:pk>/notes/", views.add_note, name="note"),
    path("<int:pk>/messages/", views.send_message, name="message"),
    path("<int:pk>/corrections/", views.edit, name="edit"),
    path("<int:pk>/versions/", views.revision_list, name="revisions"),
]
