"""Touch targets on a phone (issue 16, "Layout, looks and devices").

At 390 px and 320 px wide, on every portal page a visitor or a practice user opens, everything a finger
can press is at least 44 × 44 CSS px: links, buttons, form controls, summaries, the menus' items once
opened, and the skip link once focused. The only exception is WCAG's for a link inline in a run of text
(a link inside a sentence, whose block says more than the link). A checkbox or radio button counts
together with its label, which is pressed as much as the box itself. The top bar at 1024 px and wider is
test_top_bar's.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PRACTICE_PAGES, VISITOR_PAGES, needs_chromium, sign_in
from tests.factories import PASSWORD

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]

PHONE_WIDTHS = (390, 320)
SMALLEST = 44  # CSS px, each way (WCAG 2.5.5)

# Each visible target smaller than SMALLEST × SMALLEST: [tag, text, width, height].
_SMALL_TARGETS = """(smallest) => {
  const words = (text) => (text || "").replace(/\\s+/g, " ").trim();
  const shown = (el) => el.checkVisibility({visibilityProperty: true})
    && !el.closest(".visually-hidden, .visually-hidden-focusable:not(:focus, :focus-within)");
  // A link inside a sentence: drawn inline, in a block whose text says more than the link's.
  const inlineInText = (el) => {
    if (el.tagName !== "A" || getComputedStyle(el).display !== "inline") return false;
    let block = el.parentElement;
    while (block && /^(inline|contents)$/.test(getComputedStyle(block).display)) block = block.parentElement;
    return block !== null && words(block.innerText).length > words(el.innerText).length;
  };
  // The box a finger can press: a checkbox's or radio button's together with its labels'.
  const box = (el) => {
    const rects = [el.getBoundingClientRect()];
    if (el.type === "checkbox" || el.type === "radio") {
      for (const label of el.labels) rects.push(label.getBoundingClientRect());
    }
    const left = Math.min(...rects.map((r) => r.left)), right = Math.max(...rects.map((r) => r.right));
    const top = Math.min(...rects.map((r) => r.top)), bottom = Math.max(...rects.map((r) => r.bottom));
    return {width: right - left, height: bottom - top};
  };
  const targets = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], '
    + '[tabindex="0"]';
  const small = [];
  for (const el of document.querySelectorAll(targets)) {
    if (!shown(el) || inlineInText(el)) continue;
    const {width, height} = box(el);
    if (width < smallest - 0.01 || height < smallest - 0.01) {
      const named = el.labels && el.labels.length ? el.labels[0].innerText : el.innerText || el.value;
      const text = words(named || el.getAttribute("aria-label") || el.name).slice(0, 60);
      const kind = el.tagName === "INPUT" ? `input type=${el.type}` : el.tagName.toLowerCase();
      small.push([kind, text, Math.round(width * 10) / 10, Math.round(height * 10) / 10]);
    }
  }
  return small;
}"""


def _small_targets(page):
    return [tuple(found) for found in page.evaluate(_SMALL_TARGETS, SMALLEST)]


def _small_targets_anywhere(page):
    """What is too small on the page as it opens, with its folded sections unfolded, with the skip link
    focused, with the top bar's menu opened (on a phone, behind its button), and with each of the top
    bar's drop-down menus opened in turn."""
    found = set()
    for summary in page.locator("details > summary").all():
        if not summary.evaluate("summary => summary.parentElement.open"):
            summary.click()
    found.update(_small_targets(page))
    page.get_by_role("link", name="Skip to main content").focus()
    found.update(_small_targets(page))
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        expect(page.locator("#nav-links")).to_be_visible()
        found.update(_small_targets(page))
    for menu in page.locator(".navbar .dropdown-toggle").all():
        menu.click()
        expect(page.locator(".navbar .dropdown-menu.show")).to_be_visible()
        found.update(_small_targets(page))
        page.keyboard.press("Escape")
        expect(page.locator(".navbar .dropdown-menu.show")).to_have_count(0)
    return found


def _check_every_page(page, paths, who):
    offenders = {}  # (width, tag, text, size) -> the pages it is on
    for width in PHONE_WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        for path in paths:
            response = page.goto(path)
            assert response.status == 200, f"{who}: {path} answered {response.status}"
            for tag, text, w, h in _small_targets_anywhere(page):
                offenders.setdefault((width, tag, text, f"{w:g}×{h:g}"), []).append(path)
    lines = [
        f"  at {width} px: <{tag}> “{text}” {size} px on {', '.join(pages)}"
        for (width, tag, text, size), pages in sorted(offenders.items())
    ]
    assert not lines, f"Touch targets smaller than {SMALLEST}×{SMALLEST} px for a {who}:\n" + "\n".join(lines)


def test_every_target_on_a_visitors_page_is_big_enough_for_a_finger(browser_page):
    _check_every_page(browser_page, VISITOR_PAGES, "visitor")


def test_every_target_on_a_practice_users_page_is_big_enough_for_a_finger(
    browser_page, practice_user, incidents_in_every_state
):
    sign_in(browser_page, practice_user.email, PASSWORD, lands_on=r"/incidents/$")
    paths = [path.format(**incidents_in_every_state) for path in PRACTICE_PAGES]
    _check_every_page(browser_page, paths, "practice user")
