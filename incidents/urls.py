from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.incident_new, name="new"),
    path("<str:reference>/", views.incident_detail, name="detail"),
    path("<str:reference>/notes/", views.incident_add_note, name="add_note"),
    path("<str:reference>/progress/", views.incident_request_progress, name="request_progress"),
    path("<str:reference>/confirm/", views.incident_confirm, name="confirm"),
    path("<str:reference>/reject/", views.incident_reject, name="reject"),
    path("<str:reference>/close/", views.incident_close, name="close"),
    path("<str:reference>/escalate/", views.incident_ask_escalation, name="escalate"),
    path("<str:reference>/attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
