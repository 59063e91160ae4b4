"""The Service Desk's admin site: Django's, with its names, and without the navigation sidebar.

Agents live in the incident list; the sidebar repeated the admin index on every page, and Django builds
the list it shows (every registered model, its permissions and two URLs each) for every admin page's
context, about 4 ms a page. The header links in templates/admin/base_site.html and the index lead
everywhere the sidebar did.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.functional import SimpleLazyObject

from .lib.admin import NHSNumberAdminMixin


class ServiceDeskAdminSite(admin.AdminSite):
    site_header = "Primary Care Service Desk"
    site_title = "Service Desk admin"
    index_title = "Triage and administration"
    site_url = None  # "View site" would only bring staff back here: the header's links lead out
    enable_nav_sidebar = False

    def register(self, model_or_iterable, admin_class=None, **options):
        """Register as Django does, with the NHS-number guard on every form of the model admin: a model
        admin cannot forget it, and those of other packages (groups, devices) get it too."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, NHSNumberAdminMixin):
            attrs = {"__module__": admin_class.__module__}
            admin_class = type(admin_class.__name__, (NHSNumberAdminMixin, admin_class), attrs)
        super().register(model_or_iterable, admin_class, **options)

    def get_app_list(self, request, app_label=None):
        # Built when a template first reads it: every page's context asks for it, for the sidebar.
        build = super().get_app_list
        return SimpleLazyObject(lambda: build(request, app_label))


class ServiceDeskAdminConfig(AdminConfig):
    default_site = "servicedesk.admin_site.ServiceDeskAdminSite"
