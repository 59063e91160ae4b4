"""Form behaviour shared by every form that takes free text from people."""

from django import forms

from .nhs import find_nhs_numbers


class NHSNumberGuardMixin(forms.Form):
    """Refuse free text that contains an NHS number, unless the user confirms it is not one.

    Set `nhs_guarded_fields` to the free-text fields to check. After validation, `nhs_matches` maps each
    field name to the numbers found in it and `nhs_override_fields` lists the labels of the fields the
    user vouched for, for the timeline.
    """

    nhs_guarded_fields = ()
    confirm_field = "confirm_not_nhs_number"

    confirm_not_nhs_number = forms.BooleanField(
        required=False,
        label="I confirm that the highlighted numbers are not NHS numbers and the text holds no patient "
        "data.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.nhs_matches = {}

    def clean(self):
        cleaned_data = super().clean()
        for name in self.nhs_guarded_fields:
            found = find_nhs_numbers(cleaned_data.get(name) or "")
            if found:
                self.nhs_matches[name] = found
        if self.nhs_matches and not cleaned_data.get(self.confirm_field):
            for name, found in self.nhs_matches.items():
                self.add_error(name, self._nhs_message(name, found))
        return cleaned_data

    def _nhs_message(self, name, found):
        label = self.fields[name].label or name.replace("_", " ")
        numbers = ", ".join(f"“{number}”" for number in found)
        return (
            f"{label[0].upper()}{label[1:]} contains {numbers}, which looks like an NHS number. "
            "Patient-identifiable data must not be sent to the Service Desk: remove it, or, if it is not an "
            "NHS number, tick the confirmation at the end of the form."
        )

    @property
    def nhs_override_fields(self):
        """Labels of the fields whose matches the user confirmed are not NHS numbers."""
        if not (self.is_bound and self.cleaned_data.get(self.confirm_field)):
            return []
        return [str(self.fields[name].label or name) for name in self.nhs_matches]
