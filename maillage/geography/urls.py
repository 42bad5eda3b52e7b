from django.urls import path

from . import views

app_name = "geography"

urlpatterns = [
    path("", views.departement_list, name="departements"),
    path("communes/", views.commune_lookup, name="commune_lookup"),
]
