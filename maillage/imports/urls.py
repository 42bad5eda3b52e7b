from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.run_detail, name="run"),
    path("<int:pk>/confirmer/", views.confirm, name="confirm"),
    path("<int:pk>/abandonner/", views.discard, name="discard"),
    path("modeles/<slug:kind>.csv", views.template, name="template"),
]
