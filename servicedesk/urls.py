from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from .lib import views

admin.site.site_header = "Primary Care Service Desk"
admin.site.site_title = "Service Desk admin"
admin.site.index_title = "Triage and administration"
admin.site.site_url = None  # "View site" would only bring staff back here: the links above lead out

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("contact/", views.contact, name="contact"),
    path("accounts/", include("accounts.urls")),
    path("incidents/", include("incidents.urls")),
    path("escalations/", include("escalation.urls")),
    path("surveys/", include("surveys.urls")),
    path("admin/", admin.site.urls),
]

if settings.BENCH_FLOOR_VIEW:  # for bench/ only: the floor the other pages are measured against
    urlpatterns.append(path("bench/floor/", views.floor, name="bench_floor"))
