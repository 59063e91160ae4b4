"""Form behaviour shared by every form that takes free text from people."""

from django import forms
from django.core import signing
from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst

from .nhs import digits, find_nhs_number_spans, find_nhs_numbers

_SIGNING_SALT = "nhs-number-guard"


def is_text_field(field):
    """A field a person types text into: any CharField (email, URL, slug... included) that is not a password,
    hidden, or a one-time code."""
    widget = field.widget
    return (
        isinstance(field, forms.CharField)
        and not isinstance(widget, forms.PasswordInput)
        and not widget.is_hidden
        and widget.attrs.get("autocomplete") != "one-time-code"
    )


def mark_nhs_numbers(text):
    """`text`, escaped, with each NHS number in it (as typed, however disguised) in a <mark> element."""
    pairs, done = [], 0
    for start, end in find_nhs_number_spans(text):
        if start < done:  # overlapping another number: marked with it
            start = done
        if end > start:
            pairs.append((text[done:start], text[start:end]))
            done = end
    return format_html("{}{}", format_html_join("", "{}<mark>{}</mark>", pairs), text[done:])


class NoNHSNumbersMixin(forms.Form):
    """Refuse any text field (`is_text_field`) that contains an NHS number, but `nhs_unchecked_fields` (text
    never stored, such as a search box). On an existing object only the fields that changed are checked,
    so old text does not block an unrelated change. `nhs_preview(name)` shows a refused field's text with
    the numbers marked, but for `nhs_secret_fields` (connection details), which are never echoed back."""

    nhs_unchecked_fields = ()
    nhs_secret_fields = ()
    nhs_field_names = {}  # how the messages name a field whose label is a question
    nhs_advice = "Patient-identifiable data must not be stored in the Service Desk: remove it."

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.nhs_matches = {}

    def clean(self):
        cleaned_data = super().clean()
        editing = getattr(getattr(self, "instance", None), "pk", None) is not None
        for name, field in self.fields.items():
            unchecked = not is_text_field(field) or name in self.nhs_unchecked_fields
            if unchecked or (editing and name not in self.changed_data):
                continue
            found = find_nhs_numbers(str(cleaned_data.get(name) or ""))
            if found:
                self.nhs_matches[name] = found
        if self.nhs_matches and not self._user_confirmed(cleaned_data):
            for name, found in self.nhs_matches.items():
                self.add_error(name, self._nhs_message(name, found))
            self._refused()
        return cleaned_data

    def _user_confirmed(self, cleaned_data):
        return False

    def _refused(self):
        pass

    def _nhs_label(self, name):
        return capfirst(self.nhs_field_names.get(name) or self.fields[name].label or name.replace("_", " "))

    def _nhs_message(self, name, found):
        numbers = ", ".join(f"“{number}”" for number in found)
        return (
            f"{self._nhs_label(name)} contains {numbers}, which looks like an NHS number. {self.nhs_advice}"
        )

    def nhs_preview(self, name):
        """The text of `name` as submitted, under a heading, with each NHS number in it marked: shown under
        the field when it was refused for one, so that the user sees where in their text the number is.
        An empty string for any other field."""
        if name not in self.nhs_matches or name in self.nhs_secret_fields or not self.has_error(name):
            return ""
        field = self[name]
        where = self.nhs_field_names.get(name) or f"“{field.label or name.replace('_', ' ')}”"
        context = {"field": field, "where": where, "text": mark_nhs_numbers(str(field.value() or "").strip())}
        return render_to_string("snippets/nhs_preview.html", context)


class NHSNumberGuardMixin(NoNHSNumbersMixin):
    """Refuse text that contains an NHS number, unless the user confirms it is not one: exactly the numbers
    shown, which travel with the form, signed (a number added later, or a box ticked early, is refused)."""

    nhs_advice = (
        "Patient-identifiable data must not be sent to the Service Desk: remove it, or, if it is not an "
        "NHS number, tick the confirmation at the end of the form."
    )
    # True when the form's template shows the confirmation right under the first field with a match
    # (`nhs_confirm_after`), where the user is looking, rather than at the end of the form.
    nhs_confirm_beside = False

    confirm_not_nhs_number = forms.BooleanField(
        required=False,
        label="I confirm that the highlighted numbers are not NHS numbers and the text holds no patient "
        "data.",
    )
    nhs_numbers_shown = forms.CharField(required=False, widget=forms.HiddenInput)

    @property
    def nhs_confirm_after(self):
        """The field the confirmation is shown under: the first, in the form's order, with a match."""
        return next((name for name in self.fields if name in self.nhs_matches), None)

    def _nhs_message(self, name, found):
        if not self.nhs_confirm_beside:
            return super()._nhs_message(name, found)
        host = self.nhs_confirm_after  # named as the page shows it
        where = f"under “{capfirst(self.fields[host].label or host.replace('_', ' '))}”"
        numbers = ", ".join(f"“{number}”" for number in found)
        return (
            f"{self._nhs_label(name)} contains {numbers}, which looks like an NHS number. "
            "Patient-identifiable data must not be sent to the Service Desk: remove it, or, if it is not "
            "an NHS number, tick "
            f"“It is not an NHS number” {where}."
        )

    def _user_confirmed(self, cleaned_data):
        if not cleaned_data.get("confirm_not_nhs_number"):
            return False
        try:
            shown = set(signing.loads(cleaned_data.get("nhs_numbers_shown") or "", salt=_SIGNING_SALT))
        except signing.BadSignature:
            return False
        return self._matched_digits() <= shown

    def _matched_digits(self):
        return {digits(number) for found in self.nhs_matches.values() for number in found}

    def _refused(self):
        """Remember, signed, which numbers the user is now being asked about, and untick the box."""
        data = self.data.copy()
        data[self.add_prefix("nhs_numbers_shown")] = signing.dumps(
            sorted(self._matched_digits()), salt=_SIGNING_SALT
        )
        data.pop(self.add_prefix("confirm_not_nhs_number"), None)
        self.data = data
        if self.nhs_confirm_beside:  # the box names exactly the numbers it is about
            numbers = [number for found in self.nhs_matches.values() for number in found]
            shown = ", ".join(f"“{number}”" for number in dict.fromkeys(numbers))
            verb = "is not an NHS number" if len(set(map(digits, numbers))) == 1 else "are not NHS numbers"
            self.fields[
                "confirm_not_nhs_number"
            ].label = (
                f"It is not an NHS number: I confirm that {shown} {verb} and this holds no patient data."
            )
            self._bound_fields_cache.pop("confirm_not_nhs_number", None)  # its label was read already

    @property
    def nhs_override_fields(self):
        """Labels of the fields whose matches the user confirmed are not NHS numbers."""
        if not (self.is_bound and not self.errors and self.cleaned_data.get("confirm_not_nhs_number")):
            return []
        return [str(self.fields[name].label or name) for name in self.nhs_matches]


def with_nhs_guard(form_class):
    """`form_class`, or a subclass of it that refuses NHS numbers (unless it does already, or has no text
    fields: read-only admin pages build no subclass)."""
    guarded = issubclass(form_class, NoNHSNumbersMixin)
    if guarded or not any(map(is_text_field, form_class.base_fields.values())):
        return form_class
    return type(form_class.__name__, (NoNHSNumbersMixin, form_class), {"__module__": form_class.__module__})


class BootstrapBoundField(forms.BoundField):
    """A single-widget field with Bootstrap 5's classes, rendered by `{{ field.as_field_group }}` with
    templates/snippets/field.html (`bound_field_class = BootstrapBoundField`). For the small forms on busy
    pages: crispy-forms' field template costs about 2 ms a field."""

    def render(self, template_name=None, context=None, renderer=None):
        return super().render(template_name or "snippets/field.html", context, renderer)

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        if widget.is_hidden:
            return attrs
        if getattr(widget, "input_type", None) in ("checkbox", "radio"):
            css = "form-check-input"
        else:
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        if self.errors:
            css += " is-invalid"  # Django names the error text in aria-describedby itself
        attrs["class"] = f"{attrs['class']} {css}" if attrs.get("class") else css
        return attrs
