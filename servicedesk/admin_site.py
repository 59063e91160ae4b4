"""The Service Desk's admin site: Django's, with its names, its sign-in form, and what it adds to every
model admin registered on it."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import reverse

from servicedesk.lib.admin import SiteWideAdmin


class ServiceDeskAdminSite(admin.AdminSite):
    site_header = "Primary Care Service Desk"
    site_title = "Service Desk admin"
    index_title = "Triage and administration"
    site_url = None  # "View site" would only bring staff back here: the header's links lead out
    index_template = "admin/desk_index.html"  # the desk's dashboard above the list of record types

    def index(self, request, extra_context=None):
        """The admin home page: the desk's dashboard (servicedesk/dashboard.py), then Django's app list."""
        from servicedesk.dashboard import desk_dashboard  # this module is loaded before any model

        return super().index(request, {"dashboard": desk_dashboard(request), **(extra_context or {})})

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every model admin registered here, third-party ones included, gets what SiteWideAdmin adds."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, SiteWideAdmin):
            names = {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__}
            admin_class = type(admin_class.__name__, (SiteWideAdmin, admin_class), names)
        super().register(model_or_iterable, admin_class, **options)

    def login(self, request, extra_context=None):
        """Django's admin gives its sign-in form its own index as the `next` when none is asked for, and
        /admin/ opened signed out asks for exactly that: neither is a page the person chose. The form carries
        home instead, which sends each person where they work: the ladder's staff to their escalation queue,
        agents to admin. Any other `next` (a deeper admin page) is followed as Django follows it."""
        index = reverse("admin:index", current_app=self.name)
        if request.POST.get("next", request.GET.get("next")) in (None, "", index):
            extra_context = {**(extra_context or {}), "next": reverse("home")}
        return super().login(request, extra_context)

    @property
    def login_form(self):
        """The sign-in form, reading the email address as the portal's form and the lockout do."""
        from accounts.forms import StaffLoginForm  # this module is loaded before any model

        return StaffLoginForm


class ServiceDeskAdminConfig(AdminConfig):
    default_site = "servicedesk.admin_site.ServiceDeskAdminSite"
