"""`{{ wordings|wording:incident.severity }}`: a severity in the words of the practice's contract (the view
passes `wordings`, from incidents.wording.severity_wordings, once per page)."""

from django import template

from incidents.wording import STANDARD

register = template.Library()


@register.filter
def wording(wordings, severity):
    """The Wording of `severity` (its label as text); the standard one if the view passed none."""
    return (wordings or STANDARD).get(severity) or STANDARD.get(severity, severity)
