"""Admin changelist rows rendered at a fraction of the cost of Django's `result_list` tag.

Django renders each cell through lookup_field and display_for_field, each action checkbox through a
widget template, and each link through add_preserved_filters, which resolves the URL again: about 1 ms a
row, 30 ms for a page of 25 incidents. `quick_result_list` gives the same rows for the columns a
changelist here uses (model fields, with their choices and foreign keys, and ModelAdmin methods that
return text or safe HTML), with the headers, sorting, actions and templates still Django's. A popup or
editable changelist, and any other kind of column, keep Django's own rendering.
"""

from html import escape

from django import template
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    result_headers,
    result_hidden_fields,
    results,
)
from django.contrib.admin.utils import display_for_field, quote
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext

register = template.Library()

_PK = "__pk__"


@register.inclusion_tag("admin/change_list_results.html")
def quick_result_list(cl):
    headers = list(result_headers(cl))
    columns = None if cl.is_popup or cl.formset is not None else _columns(cl)
    rows = list(results(cl) if columns is None else _rows(cl, columns))  # None: Django's own rendering
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for header in headers if header["sortable"] and header["sorted"]),
        "results": rows,
    }


def _link_maker(cl):
    """A row's change link: one reverse() for the page, with the filters to come back to."""
    opts = cl.opts
    pattern = reverse(
        f"admin:{opts.app_label}_{opts.model_name}_change",
        args=[_PK],
        current_app=cl.model_admin.admin_site.name,
    )
    query = f"?{cl.preserved_filters}" if cl.preserved_filters else ""
    return lambda obj: pattern.replace(_PK, str(quote(obj.pk))) + query


def _columns(cl):
    """(name, how to read its value, its cell's classes) per column, worked out once per page; None if
    a column is not one these rows render as Django would (the checkbox, a concrete field, or a
    ModelAdmin method without boolean or empty_value display options)."""
    columns = []
    for name in cl.list_display:
        column = (name, None, None) if name == "action_checkbox" else _column(cl, name)
        if column is None:
            return None
        columns.append(column)
    return columns


def _column(cl, name):
    method = getattr(cl.model_admin, name, None)
    if callable(method):
        plain = not hasattr(method, "boolean") and not hasattr(method, "empty_value_display")
        return (name, method, f"field-{name}") if plain else None
    try:
        field = cl.opts.get_field(name)
    except FieldDoesNotExist:
        return None
    if not field.concrete or field.many_to_many:
        return None
    # As Django gives them: dates, times and foreign keys do not wrap.
    nowrap = isinstance(field, models.DateField | models.TimeField | models.ForeignKey)
    css = f"field-{name} nowrap" if nowrap else f"field-{name}"
    if field.choices:  # as display_for_field: a value outside the choices shows as empty
        labels = dict(field.flatchoices)
        return name, lambda obj: labels.get(getattr(obj, field.attname)), css
    if field.is_relation:
        return name, lambda obj: getattr(obj, name), css
    empty = cl.model_admin.get_empty_value_display()
    return name, lambda obj: display_for_field(getattr(obj, name), field, empty), css


def _rows(cl, columns):
    link = _link_maker(cl)
    empty = escape(cl.model_admin.get_empty_value_display())
    for obj in cl.result_list:
        # One string per row, escaped here (str.join and html.escape, not format_html per cell: a third
        # of the cost); the template writes it as Django's rows are written.
        yield ResultList(None, [mark_safe("".join(_cells(obj, columns, cl.list_display_links, link, empty)))])


def _escaped(value, empty):
    if value is None:
        return empty
    text = value if isinstance(value, SafeData) else escape(str(value))
    return text or "&nbsp;"  # as Django writes an empty cell


def _cells(obj, columns, links, link, empty):
    first = True
    for name, read, css in columns:
        if read is None:
            label = escape(gettext("Select this object for an action - %(obj)s") % {"obj": obj})
            yield (
                f'<td class="action-checkbox"><input type="checkbox" name="{ACTION_CHECKBOX_NAME}" '
                f'value="{escape(str(obj.pk))}" class="action-select" aria-label="{label}"></td>'
            )
            continue
        text = _escaped(read(obj), empty)
        if name in links:
            tag = "th" if first else "td"
            first = False
            yield f'<{tag} class="{css}"><a href="{escape(link(obj))}">{text}</a></{tag}>'
        else:
            yield f'<td class="{css}">{text}</td>'
