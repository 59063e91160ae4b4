"""Accessibility checks with axe-core, vendored from the npm registry (static/vendor/axe-core/VERSION).

axe is loaded into the page from the live server's own static files, by URL (a script element whose
source is the collected, hashed file), so it runs under the portal's Content-Security-Policy
(`script-src 'self'`) like the portal's own scripts, with nothing inline and no CSP bypass.

Every check is recorded in FINDINGS; set AXE_REPORT to a file name to have each appended there as a
JSON line (the page, and every violation of any impact), for the summary of a run.
"""

import json
import os

from django.templatetags.static import static

FAILING_IMPACTS = ("serious", "critical")
FINDINGS = []

_RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    targets: v.nodes.map(n => n.target.join(" ")),
  }));
}"""


def _load(page):
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=static("vendor/axe-core/axe.min.js"))


def describe(violations):
    return "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} [{v['helpUrl']}]\n    on: " + "; ".join(v["targets"])
        for v in violations
    )


def axe_violations(page):
    """All of axe's violations on the page as it is now (every rule axe runs by default)."""
    _load(page)
    return page.evaluate(_RUN)


def check_accessibility(page, label, *, fail=True):
    """Run axe on the current page and fail on any violation of impact serious or critical, naming the
    rule, its help text and the elements (CSS selectors) it found. With fail=False (Django's own admin
    pages) only record them. Returns every violation found."""
    violations = axe_violations(page)
    record = {"label": label, "url": page.url, "enforced": fail, "violations": violations}
    FINDINGS.append(record)
    if report := os.environ.get("AXE_REPORT"):
        with open(report, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
    serious = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    if fail:
        assert not serious, f"axe: serious or critical violations on {label} ({page.url}):\n" + describe(
            serious
        )
    return violations
