"""The resource person's side: the one-time e-mailed link and their own proposals."""

from django.urls import path

from maillage.pairing import views

app_name = "pairing_public"

urlpatterns = [
    path("reponse/<str:token>/", views.answer_by_token, name="answer"),
    path("propositions/<int:pk>/", views.my_proposal, name="my_proposal"),
]
