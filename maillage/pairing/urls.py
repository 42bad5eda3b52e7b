from django.urls import path

from maillage.pairing import views

app_name = "pairing"

urlpatterns = [
    path("", views.index, name="index"),
    path("appel/<int:call_id>/", views.call_page, name="call"),
    path("appel/<int:call_id>/lancer/", views.run, name="run"),
    path("appel/<int:call_id>/publier/", views.publish, name="publish"),
    path("proposition/<int:pk>/verrouiller/", views.lock, name="lock"),
    path("proposition/<int:pk>/interdire/", views.forbid, name="forbid"),
    path("proposition/<int:pk>/choisir/", views.choose, name="choose"),
    path("regle/<int:pk>/supprimer/", views.remove_rule, name="remove_rule"),
    path("reglages/<int:programme_id>/", views.settings_page, name="settings"),
]
