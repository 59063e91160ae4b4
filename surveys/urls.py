from django.urls import path
from django.views.generic import TemplateView

from . import views

app_name = "surveys"

urlpatterns = [
    path("results/", views.results, name="results"),
    path("results.csv", views.results_csv, name="results_csv"),
    path("thank-you/", TemplateView.as_view(template_name="surveys/thanks.html"), name="thanks"),
    path("<str:token>/", views.answer, name="answer"),
]
