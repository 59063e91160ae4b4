"""How a practice reads the severities: its contract's own wording where the contract has one (admin:
Severity wordings), else the standard definitions. Everything a practice sees or chooses a severity by (the
log form, lists, the incident page, emails, the guide, "Your service") takes its words from here."""

from dataclasses import dataclass

from .models import SEVERITY_DESCRIPTIONS, Severity, SeverityWording


@dataclass(frozen=True)
class Wording:
    severity: int
    name: str
    description: str
    own: bool = False  # the contract's own words, not the standard ones

    @property
    def label(self):
        return f"{self.severity} – {self.name}"

    def __str__(self):
        return self.label


STANDARD = {
    severity.value: Wording(
        severity.value, severity.label.split(" – ", 1)[1], SEVERITY_DESCRIPTIONS[severity]
    )
    for severity in Severity
}


def severity_wordings(contract_id):
    """{severity: Wording} for a contract (one query), or the standard wording for none (no query)."""
    wordings = dict(STANDARD)
    if contract_id is None:
        return wordings
    for severity, name, description in SeverityWording.objects.filter(contract_id=contract_id).values_list(
        "severity", "name", "description"
    ):
        wordings[severity] = Wording(severity, name, description, own=True)
    return wordings
