"""The Service Desk's admin site: Django's, with its names, and without the navigation sidebar.

Agents live in the incident list; the sidebar repeated the admin index on every page, and Django builds
the list it shows (every registered model, its permissions and two URLs each) for every admin page's
context, about 4 ms a page. The header links in templates/admin/base_site.html and the index lead
everywhere the sidebar did.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.functional import SimpleLazyObject

from servicedesk.lib.admin import SiteWideAdmin


class ServiceDeskAdminSite(admin.AdminSite):
    site_header = "Primary Care Service Desk"
    site_title = "Service Desk admin"
    index_title = "Triage and administration"
    site_url = None  # "View site" would only bring staff back here: the header's links lead out
    enable_nav_sidebar = False

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every model admin registered here, the project's and other apps' (django-otp's, auth's groups),
        gets what SiteWideAdmin adds: the NHS-number guard on each of its forms, only the filters it offers,
        and searches of a bounded size. A model admin cannot forget them."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, SiteWideAdmin):
            names = {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__}
            admin_class = type(admin_class.__name__, (SiteWideAdmin, admin_class), names)
        super().register(model_or_iterable, admin_class, **options)

    @property
    def login_form(self):
        """The sign-in form, reading the email address as the portal's form and the lockout do."""
        from accounts.forms import StaffLoginForm  # this module is loaded before any model

        return StaffLoginForm

    def get_app_list(self, request, app_label=None):
        # Built when a template first reads it: every page's context asks for it, for the sidebar.
        build = super().get_app_list
        return SimpleLazyObject(lambda: build(request, app_label))


class ServiceDeskAdminConfig(AdminConfig):
    default_site = "servicedesk.admin_site.ServiceDeskAdminSite"
