from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from .lib import views

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
