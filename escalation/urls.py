from django.urls import path

from . import views

app_name = "escalation"

urlpatterns = [
    path("escalations/", views.queue, name="queue"),
    path("escalations/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    # The practice asks from its incident's page.
    path("incidents/<str:reference>/escalate/", views.ask_for_escalation, name="ask"),
]
