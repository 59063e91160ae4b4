"""`{{ form|nhs_preview:"text" }}`: under a field refused for an NHS number, its text with the number marked
(servicedesk.lib.forms.NoNHSNumbersMixin.nhs_preview); nothing for any other field."""

from django import template

register = template.Library()


@register.filter
def nhs_preview(form, name):
    return form.nhs_preview(name) if hasattr(form, "nhs_preview") else ""
