"""A held screenshot redacted on the page and attached again, or confirmed (issue 18), in headless Chromium
with the real Tesseract: the practice follows the incident page's links; the redact page opens the editor on
the held image at once, with boxes over what the check read; the copy it attaches replaces the held one and
is checked again."""

import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from incidents.models import Attachment
from tests.browser.axe import check_accessibility
from tests.browser.conftest import needs_chromium, sign_in
from tests.browser.hands import tab_to
from tests.browser.test_touch_targets import PHONE_WIDTHS, _small_targets
from tests.conftest import login
from tests.factories import PASSWORD
from tests.incidents.test_held_screenshots import banner_png, upload
from tests.incidents.test_screenshot_check import needs_tesseract

pytestmark = [
    needs_chromium,
    needs_tesseract,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]

NAME = "record.png"


@pytest.fixture
def held(practice_user, incident):
    """The practice's note with a banner showing an NHS number, held by the check (run on commit, as the
    worker would, with the real Tesseract)."""
    login(Client(), practice_user).post(
        reverse("incidents:add_note", args=[incident.reference]),
        {"text": "The patient banner overlaps the menu.", "files": [upload(NAME, banner_png())]},
    )
    attachment = Attachment.objects.get(incident=incident)
    assert attachment.check_status == Attachment.Check.HELD and attachment.check_boxes
    return attachment


def incident_page(new_page, user, incident, *, width=1366):
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, user.email, PASSWORD, lands_on=r"/incidents/$")
    page.goto(incident.get_absolute_url())
    expect(page.locator(".file-check .tag")).to_have_text("Held")
    return page


def editor(page):
    return page.get_by_role("region", name=f"Black out parts of {NAME}")


def expect_suggested(page, held):
    count = len(held.check_boxes)
    expect(editor(page)).to_be_visible()
    words = "1 box is" if count == 1 else f"{count} boxes are"
    expect(page.locator("[data-redact-live]")).to_contain_text(
        f"{words} suggested over what we read; check them and add any more."
    )
    expect(editor(page).locator(".redact-box")).to_have_count(count)
    expect(page.locator(".redact-without-script")).to_be_hidden()
    expect(page.get_by_role("button", name="Use the original")).to_be_hidden()


def the_copy():
    copy = Attachment.objects.exclude(check_status=Attachment.Check.REPLACED).get()
    with copy.file.open("rb") as stored:
        image = Image.open(io.BytesIO(stored.read()))
        image.load()
    return copy, image


def assert_black_under(image, boxes):
    pixels = image.convert("RGB")
    for left, top, width, height in boxes:
        for x in range(left, left + width, 3):
            for y in range(top, top + height, 3):
                assert pixels.getpixel((x, y)) == (0, 0, 0), (x, y)
    assert pixels.getpixel((0, 0)) == (255, 255, 255)  # the rest as it was


def assert_replaced(page, held):
    expect(page.get_by_role("status").first).to_contain_text(
        f"The redacted copy record-redacted.png replaces {NAME}, which has been deleted."
    )
    held.refresh_from_db()
    assert held.check_status == Attachment.Check.REPLACED and not held.file
    copy, image = the_copy()
    assert copy.original_name == "record-redacted.png" and image.format == "PNG"
    assert image.size == Image.open(io.BytesIO(banner_png())).size
    return copy, image


def test_the_held_screenshot_opens_with_the_suggested_boxes_and_the_copy_replaces_it(
    new_page, practice_user, incident, held, browser_problems
):
    page = incident_page(new_page, practice_user, incident)
    page.get_by_role("link", name=re.compile("Redact it and attach it again")).click()
    expect_suggested(page, held)
    page.get_by_role("button", name="Use this image").click()
    expect(editor(page)).to_be_hidden()
    expect(page.locator("[data-redact-live]")).to_contain_text("record-redacted.png is attached in place")
    with page.expect_navigation():
        page.get_by_role("button", name="Attach the redacted copy").click()

    copy, image = assert_replaced(page, held)
    assert_black_under(image, held.check_boxes)
    # Read again with nothing left to match: the copy passes, and the desk may open it.
    assert copy.check_status == Attachment.Check.PASSED, copy.check_reasons
    page.reload()
    expect(page.locator(".file-check .tag")).to_have_count(0)
    browser_problems.assert_clean()


def test_by_keyboard_alone_a_suggested_box_widened_and_the_copy_attached(
    new_page, practice_user, incident, held, browser_problems
):
    page = incident_page(new_page, practice_user, incident)
    tab_to(page, page.get_by_role("link", name=re.compile("Redact it and attach it again")))
    page.keyboard.press("Enter")
    expect_suggested(page, held)
    heading = editor(page).get_by_role("heading", level=2)  # below the page's h1
    expect(heading).to_be_visible()
    # Opened by the page, not by the reader: focus is not taken, the reader starts at the top.
    assert page.evaluate("document.activeElement === document.body")

    first = editor(page).locator(".redact-box").first
    tab_to(page, first)
    page.keyboard.press("Space")
    expect(first).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Shift+ArrowRight")  # one step wider: 1/50 of the longer side, 24 pixels
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")  # and back: moved by the arrow keys, undone by them
    # The boxes are listed top to bottom, left to right; each 2 pixels wider each way than the word read.
    first_read = min(held.check_boxes, key=lambda box: (box[1], box[0]))
    left, top, width, height = first_read
    expect(page.locator("[data-redact-live]")).to_contain_text(
        f"Box 1: from left {left - 2}, from top {top - 2}, {width + 4 + 24} by {height + 4} pixels."
    )
    tab_to(page, page.get_by_role("button", name="Use this image"))
    page.keyboard.press("Enter")
    expect(editor(page)).to_be_hidden()
    field = page.get_by_label("The redacted screenshot")
    expect(field).to_be_focused()
    assert field.evaluate("input => input.files[0].name") == "record-redacted.png"
    tab_to(page, page.get_by_role("button", name="Attach the redacted copy"))
    with page.expect_navigation():
        page.keyboard.press("Enter")

    _copy, image = assert_replaced(page, held)
    assert_black_under(image, [(left - 2, top - 2, width + 28, height + 4), *held.check_boxes])
    browser_problems.assert_clean()


def test_confirm_by_keyboard_alone(new_page, practice_user, incident, held, browser_problems):
    page = incident_page(new_page, practice_user, incident)
    tab_to(page, page.get_by_role("link", name=re.compile("Confirm it shows no patient data")))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Confirm that {NAME} shows no patient data")
    tab_to(page, page.get_by_role("checkbox"))
    page.keyboard.press("Space")
    expect(page.get_by_role("checkbox")).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Confirm and let the Service Desk open it"))
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page.get_by_role("status").first).to_contain_text(f"The Service Desk can now open {NAME}.")
    held.refresh_from_db()
    assert held.check_status == Attachment.Check.CONFIRMED
    expect(page.get_by_text("Confirmed by your practice to show no patient data.")).to_be_visible()
    browser_problems.assert_clean()


def no_sideways_scroll(page, label):
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{overflow} px of horizontal scroll on {label}"


@pytest.mark.parametrize("width", [320, 1366])
def test_the_redact_and_confirm_pages_are_accessible_in_both_schemes(
    new_page, practice_user, incident, held, width, browser_problems
):
    page = incident_page(new_page, practice_user, incident, width=width)
    check_accessibility(page, f"incident page with a held screenshot ({width} px)")
    no_sideways_scroll(page, f"the incident page at {width} px")
    page.goto(reverse("incidents:attachment_redact", args=[incident.reference, held.pk]))
    expect_suggested(page, held)
    for scheme in ("dark", "light"):  # without reloading: the editor stays open with its boxes
        page.emulate_media(color_scheme=scheme)
        check_accessibility(page, f"redact page with the editor open ({scheme}, {width} px)")
    no_sideways_scroll(page, f"the redact page at {width} px")

    page.goto(reverse("incidents:attachment_confirm", args=[incident.reference, held.pk]))
    for scheme in ("dark", "light"):
        page.emulate_media(color_scheme=scheme)
        page.reload()
        check_accessibility(page, f"confirm page ({scheme}, {width} px)")
    no_sideways_scroll(page, f"the confirm page at {width} px")
    browser_problems.assert_clean()


def test_if_the_screenshot_cannot_be_fetched_the_page_stays_as_it_is(new_page, practice_user, incident, held):
    page = incident_page(new_page, practice_user, incident)
    page.route(re.compile(rf"/attachments/{held.pk}/$"), lambda route: route.fulfill(status=404))
    page.get_by_role("link", name=re.compile("Redact it and attach it again")).click()
    expect(page.get_by_role("link", name=f"Download {NAME}")).to_be_visible()  # the way without the editor
    page.wait_for_load_state("networkidle")
    expect(page.locator(".redact-editor")).to_be_hidden()
    expect(page.get_by_label("The redacted screenshot")).to_be_visible()


def test_a_suggested_box_is_removed_and_undone_and_closing_leaves_the_way_without_the_editor(
    new_page, practice_user, incident, held, browser_problems
):
    page = incident_page(new_page, practice_user, incident)
    page.get_by_role("link", name=re.compile("Redact it and attach it again")).click()
    expect_suggested(page, held)
    boxes = editor(page).locator(".redact-box")
    count = len(held.check_boxes)
    boxes.nth(1).click()
    page.get_by_role("button", name="Remove the selected box").click()
    expect(boxes).to_have_count(count - 1)
    page.get_by_role("button", name="Undo").click()
    expect(boxes).to_have_count(count)
    expect(page.locator("[data-redact-live]")).to_contain_text(f"Undone. {count} boxes.")

    page.get_by_role("button", name="Close the editor").click()
    expect(editor(page)).to_be_hidden()
    expect(page.get_by_role("link", name=f"Download {NAME}")).to_be_visible()
    field = page.get_by_label("The redacted screenshot")
    expect(field).to_be_focused()
    assert field.evaluate("input => input.files.length") == 0
    browser_problems.assert_clean()


def test_every_target_on_the_three_pages_is_big_enough_for_a_finger(
    new_page, practice_user, incident, held, browser_problems
):
    page = incident_page(new_page, practice_user, incident, width=PHONE_WIDTHS[0])
    small = {}
    for width in PHONE_WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(incident.get_absolute_url())
        held_links = ("attach it again", "no patient data")
        small[f"incident page at {width} px"] = [
            found for found in _small_targets(page) if any(words in found[1] for words in held_links)
        ]
        page.goto(reverse("incidents:attachment_redact", args=[incident.reference, held.pk]))
        expect_suggested(page, held)
        small[f"redact page at {width} px"] = _small_targets(page)
        page.goto(reverse("incidents:attachment_confirm", args=[incident.reference, held.pk]))
        small[f"confirm page at {width} px"] = _small_targets(page)
    assert not any(small.values()), small
    browser_problems.assert_clean()
