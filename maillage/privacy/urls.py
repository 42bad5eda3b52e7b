from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("confidentialite/", views.privacy_notice, name="notice"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("compte/mes-donnees/", views.my_data, name="my_data"),
    path("compte/effacement/", views.erasure, name="erasure"),
    path("coordination/journal/", views.journal, name="journal"),
]
