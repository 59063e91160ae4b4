"""Page weight pinned (issue 16, "Proof"): what Chromium downloads to show each portal page, with an empty
cache, as served in production (WhiteNoise's compressed, hashed static files; the page itself as the view
renders it). A page that grows past its budget fails here with every page's figures, so that growth is a
decision: raise the budget in the open, with the reason in the commit.

Bytes are the compressed bodies the browser received (Resource Timing's encodedBodySize), summed over the
document and everything it loaded before the load event. Images the page loads lazily and never scrolls
to are not counted, as a reader who does not scroll never downloads them.
"""

import pytest

from tests.browser.conftest import PRACTICE_PAGES, VISITOR_PAGES, needs_chromium, sign_in
from tests.factories import PASSWORD

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]

# Every page carries Bootstrap's CSS and JavaScript (55 KB compressed), the portal's own CSS and scripts and
# the favicon: 70 KB is the allowance for that and the page (measured: 60 to 66 KB, pages compressed
# by GZipMiddleware). The guide adds the tutorial's poster and the pictures in view (measured: 244 KB).
BUDGET_KB = {path: 70 for path in {*VISITOR_PAGES, *PRACTICE_PAGES}}
BUDGET_KB["/help/"] = 300
# The log form and the incident pages (the note form) add the redaction editor, static/js/redact.js (issue
# 18): 4 KB compressed, which took the log form from 66.7 to 70.9 KB.
for path in ("/incidents/new/", "/incidents/{open}/", "/incidents/{asked}/", "/incidents/{resolved}/",
             "/incidents/{closed}/"):  # fmt: skip
    BUDGET_KB[path] = 75
# At most this many files per page: the document, two style sheets, three scripts, the favicon; the log
# form's three scripts of its own, the note form's draft and redaction scripts on an incident's page (the
# redaction editor, static/js/redact.js, issue 18, is one more file on the two pages where images are
# attached, rather than a weight every page would carry); the guide's pictures in view and its video's
# first bytes.
BUDGET_REQUESTS = {path: 7 for path in BUDGET_KB}
BUDGET_REQUESTS["/incidents/new/"] = 10
for path in ("/incidents/{open}/", "/incidents/{asked}/", "/incidents/{resolved}/", "/incidents/{closed}/"):
    BUDGET_REQUESTS[path] = 9
BUDGET_REQUESTS["/help/"] = 10

_DOWNLOADED = """() => {
  const entries = [
    ...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource"),
  ];
  return entries.map(entry => ({name: entry.name, bytes: entry.encodedBodySize}));
}"""


def weigh(page, path):
    """(bytes, files) Chromium downloaded to show `path` with its cache off."""
    response = page.goto(path, wait_until="load")
    assert response.status == 200, f"{path} answered {response.status}"
    entries = page.evaluate(_DOWNLOADED)
    return sum(entry["bytes"] for entry in entries), len(entries)


def _no_cache(page):
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.setCacheDisabled", {"cacheDisabled": True})


def _check(page, paths, label, references=None):
    page.set_viewport_size({"width": 1366, "height": 800})
    _no_cache(page)
    measured = {}
    for template in paths:
        path = template.format(**(references or {}))
        measured[template] = weigh(page, path)
    table = "\n".join(
        f"  {template:<32} {size / 1024:6.1f} KB of {BUDGET_KB[template]} KB, "
        f"{files} of {BUDGET_REQUESTS[template]} files"
        for template, (size, files) in measured.items()
    )
    print(f"\n{label}, at 1366 px with an empty cache:\n{table}")
    over = [
        template
        for template, (size, files) in measured.items()
        if size > BUDGET_KB[template] * 1024 or files > BUDGET_REQUESTS[template]
    ]
    assert not over, f"{label}: over budget: {over}\n{table}"


def test_every_visitors_page_keeps_to_its_weight(browser_page):
    _check(browser_page, VISITOR_PAGES, "Visitor pages")


def test_every_practice_page_keeps_to_its_weight(browser_page, practice_user, incidents_in_every_state):
    references = incidents_in_every_state
    sign_in(browser_page, practice_user.email, PASSWORD, lands_on=r"/incidents/$")
    _check(browser_page, PRACTICE_PAGES, "Practice pages", references)
