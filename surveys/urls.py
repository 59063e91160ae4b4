from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("results/", views.results, name="results"),
    path("results.csv", views.results_csv, name="results_csv"),
    path("thank-you/", views.thanks, name="thanks"),
    path("<str:token>/", views.answer, name="answer"),
]
