"""Accessibility checks with axe-core, vendored from the npm registry (static/vendor/axe-core/VERSION).

axe is loaded into the page from the live server's own static files, by URL (a script element whose
source is the collected, hashed file), so it runs under the portal's Content-Security-Policy
(`script-src 'self'`) like the portal's own scripts: nothing inline, no CSP bypass.

`check_accessibility` fails at once; `Audit` runs the same check on every page of a journey, lets the
journey carry on, and fails at the end listing every page. Set AXE_REPORT to a file name to have each
check appended there as a JSON line (the page and all its violations, of any impact).
"""

import json
import os

from django.templatetags.static import static

FAILING_IMPACTS = ("serious", "critical")
# Violations on Django's admin pages, reported at the end of the run (conftest): {(rule, impact,
# help): {page label: selectors}}.
ADMIN_FINDINGS = {}

# Each violating element with the landmark it sits in (header, nav, main, footer), for the report.
_RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"], elementRef: true});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl.split("?")[0],
    nodes: v.nodes.map(n => {
      const landmark = n.element && n.element.closest("footer, header, nav, main, aside, form");
      return {
        target: n.target.join(" "),
        landmark: landmark ? landmark.tagName.toLowerCase() : "body",
        html: n.html.slice(0, 160),
        summary: (n.failureSummary || "").replace(/\\s+/g, " ").slice(0, 300),
      };
    }),
  }));
}"""


def _load(page):
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=static("vendor/axe-core/axe.min.js"))


def describe(violations):
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        lines += [
            f"    in {n['landmark']}: {n['target']}  {n['html']}\n      {n['summary']}" for n in v["nodes"]
        ]
    return "\n".join(lines)


def axe_violations(page):
    """All of axe's violations on the page as it is now (every rule axe runs by default)."""
    _load(page)
    return page.evaluate(_RUN)


def _record(page, label, enforced, violations):
    if report := os.environ.get("AXE_REPORT"):
        record = {"label": label, "url": page.url, "enforced": enforced, "violations": violations}
        with open(report, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")


def serious(violations):
    return [v for v in violations if v["impact"] in FAILING_IMPACTS]


def check_accessibility(page, label, *, fail=True):
    """Run axe on the current page and fail on any violation of impact serious or critical, listing the
    rule, its help text and the elements (CSS selectors). With fail=False only record. Returns all."""
    violations = axe_violations(page)
    _record(page, label, fail, violations)
    if fail:
        found = serious(violations)
        assert not found, f"axe: serious or critical violations on {label} ({page.url}):\n" + describe(found)
    return violations


def check_both_schemes(page, label):
    """`check_accessibility` in the dark and the light scheme. The page is loaded again in each: admin's
    links fade to a new colour (a 0.15 s transition that ignores reduced motion), which axe would measure
    midway."""
    for scheme in ("dark", "light"):
        page.emulate_media(color_scheme=scheme)
        page.reload()
        check_accessibility(page, f"{label} ({scheme})")


class Audit:
    """axe on every page of a journey, and what else the journey finds wrong for keyboard or
    screen-reader users (`problem`). No page may have a serious or critical violation, admin's included;
    what axe finds of lesser impact on admin's pages is also reported at the end of the run.

    """

    def __init__(self):
        self.checked = []  # (label, url, violations) of every page checked
        self.found = []  # (key, label, url, text)

    def _sort(self, key, label, url, text):
        self.found.append((key, label, url, text))

    def check(self, page, label, *, admin=False):
        violations = axe_violations(page)
        _record(page, label, not admin, violations)
        self.checked.append((label, page.url, violations))
        if admin:
            for v in violations:
                pages = ADMIN_FINDINGS.setdefault((v["id"], v["impact"], v["help"]), {})
                pages.setdefault(label, set()).update(n["target"] for n in v["nodes"])
        for violation in serious(violations):
            for node in violation["nodes"]:
                text = describe([{**violation, "nodes": [node]}])
                self._sort((violation["id"], node["landmark"]), label, page.url, text)
        return violations

    def problem(self, key, page, label, text):
        self._sort(key, label, page.url, f"- {key}: {text}")

    @staticmethod
    def _listing(found):
        """Each problem once, in full, with the pages it was found on."""
        problems = {}
        for _key, label, url, text in found:
            pages = problems.setdefault(text, [])
            if (label, url) not in pages:
                pages.append((label, url))
        return "\n".join(
            text + "\n    on: " + "; ".join(f"{label} ({url})" for label, url in pages)
            for text, pages in problems.items()
        )

    def assert_clean(self):
        assert not self.found, "Serious or critical accessibility problems:\n" + self._listing(self.found)
