from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.incident_new, name="new"),
    path("remote-access/", views.practice_remote_access, name="practice_remote_access"),
    path("<str:reference>/", views.incident_detail, name="detail"),
    path("<str:reference>/details/", views.complete_details, name="complete_details"),
    path("<str:reference>/notes/", views.add_note, name="add_note"),
    path("<str:reference>/progress/", views.request_progress, name="request_progress"),
    path("<str:reference>/confirm/", views.confirm_resolution, name="confirm"),
    path("<str:reference>/reject/", views.reject_resolution, name="reject"),
    path("<str:reference>/close/", views.close_incident, name="close"),
    path("<str:reference>/attachments/<int:pk>/", views.download_attachment, name="attachment"),
    path(
        "<str:reference>/attachments/<int:pk>/thumbnail/",
        views.attachment_image,
        {"size": "thumbnail"},
        name="attachment_thumbnail",
    ),
    path(
        "<str:reference>/attachments/<int:pk>/large/",
        views.attachment_image,
        {"size": "large"},
        name="attachment_large",
    ),
    path(
        "<str:reference>/attachments/<int:pk>/confirm/", views.attachment_confirm, name="attachment_confirm"
    ),
    path("<str:reference>/attachments/<int:pk>/redact/", views.attachment_redact, name="attachment_redact"),
    path("<str:reference>/reopen/", views.reopen_incident, name="reopen"),
    path("<str:reference>/follow/", views.follow_incident, name="follow"),
    path("<str:reference>/remote-access/", views.change_remote_access, name="remote_access"),
]
