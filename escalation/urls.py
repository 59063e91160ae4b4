from django.urls import path

from . import views

app_name = "escalation"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
]
