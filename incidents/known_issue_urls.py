from django.urls import path

from . import known_issue_views as views

app_name = "known_issues"

urlpatterns = [
    path("", views.known_issue_list, name="list"),
    path("<int:pk>/", views.known_issue_detail, name="detail"),
    path("<int:pk>/affects-us/", views.known_issue_affects_us, name="affects_us"),
]
