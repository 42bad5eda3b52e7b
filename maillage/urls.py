from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("maillage.people.urls")),
    path("appels/", include("maillage.calls.urls")),
    path("coordination/structures/", include("maillage.organisations.urls")),
    path("coordination/candidatures/", include("maillage.applications.staff_urls")),
    path("territoires/", include("maillage.geography.urls")),
    path("competences/", include("maillage.competences.urls")),
    path("annuaire/", include("maillage.directory.urls")),
    path("candidatures/", include("maillage.applications.urls")),
    path("comite/", include("maillage.review.urls")),
    path("coordination/mise-en-relation/", include("maillage.pairing.urls")),
    path("mise-en-relation/", include("maillage.pairing.public_urls")),
    path("coordination/transferts/", include("maillage.transfers.urls")),
    path("coordination/imports/", include("maillage.imports.urls")),
    path("", include("maillage.privacy.urls")),
    path("", include("maillage.core.urls")),
]
