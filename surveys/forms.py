from django import forms
from django.utils.html import escape

from servicedesk.lib.forms import NHSNumberGuardMixin

from .models import Question

SCORE_CHOICES = [
    ("1", "1 – very poor"),
    ("2", "2 – poor"),
    ("3", "3 – fair"),
    ("4", "4 – good"),
    ("5", "5 – excellent"),
]
YES_NO_CHOICES = [("yes", "Yes"), ("no", "No")]
CHOICES = {Question.Kind.SCORE: SCORE_CHOICES, Question.Kind.YES_NO: YES_NO_CHOICES}


class SurveyForm(NHSNumberGuardMixin, forms.Form):
    """One field per active question, in the administrators' order; comments pass the NHS-number guard."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        fields = {}
        for question in self.questions:
            name = f"question_{question.pk}"
            # crispy-forms renders help text unescaped; an administrator's text must not become markup.
            common = {
                "label": question.text,
                "required": question.required,
                "help_text": escape(question.help_text),
            }
            if question.kind in CHOICES:
                fields[name] = forms.ChoiceField(
                    choices=CHOICES[question.kind], widget=forms.RadioSelect, **common
                )
            else:
                fields[name] = forms.CharField(
                    max_length=5000, widget=forms.Textarea(attrs={"rows": 4}), **common
                )
        # The confirmation box and its hidden companion come last, after the questions.
        self.fields = {**fields, **self.fields}

    def answers(self):
        """(question, score, yes, text) for each question answered."""
        for question in self.questions:
            value = self.cleaned_data.get(f"question_{question.pk}")
            if value in (None, ""):
                continue
            if question.kind == Question.Kind.SCORE:
                yield question, int(value), None, ""
            elif question.kind == Question.Kind.YES_NO:
                yield question, None, value == "yes", ""
            else:
                yield question, None, None, value.strip()


def _month_field(label):
    widget = forms.DateInput(attrs={"type": "month", "class": "form-control"}, format="%Y-%m")
    return forms.DateField(label=label, required=False, input_formats=["%Y-%m"], widget=widget)


class ResultsFilterForm(forms.Form):
    """The results page's filters; anything else in the query string is ignored."""

    start = _month_field("From month")
    end = _month_field("To month")

    def clean(self):
        cleaned_data = super().clean()
        start, end = cleaned_data.get("start"), cleaned_data.get("end")
        if start and end and start > end:
            raise forms.ValidationError("“From month” must not be after “To month”.")
        return cleaned_data
