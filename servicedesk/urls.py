from django.contrib import admin
from django.urls import include, path

from . import report_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("contact/", views.contact, name="contact"),
    path("help/", views.help_guide, name="help"),
    path("help/your-service/", views.your_service, name="your_service"),
    path("help/articles/", include("knowledge.urls")),
    path("accounts/", include("accounts.urls")),
    path("incidents/", include("incidents.urls")),
    path("known-issues/", include("incidents.known_issue_urls")),
    path("", include("escalation.urls")),
    path("reports/", report_views.reports, name="reports"),
    path("surveys/", include("surveys.urls")),
    path("admin/", admin.site.urls),
]
