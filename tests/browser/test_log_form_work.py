"""Logging without losing work (issue 16), in headless Chromium with the mouse and by keyboard alone, at a
desktop's 1366 px and a phone's 390 px, with axe on each state of the form: files kept through a refused
submission, the NHS-number confirmation beside its field, and the draft kept in the tab."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from incidents.models import Incident
from tests.browser.axe import check_accessibility
from tests.browser.conftest import needs_chromium, sign_in
from tests.browser.hands import hands_for
from tests.factories import PASSWORD, IncidentFactory
from tests.sample_files import png

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]

WIDTHS = {"desktop": 1366, "phone": 390}
SCREEN = {"name": "frozen-screen.png", "mimeType": "image/png", "buffer": png()}
NHS_NUMBER = "943 476 5919"
DRAFT_KEYS = "() => Object.keys(sessionStorage).filter(k => k.startsWith('sd-draft:'))"


def ways():
    return pytest.mark.parametrize(
        ("mode", "width"),
        [(mode, width) for mode in ("mouse", "keyboard") for width in WIDTHS],
        ids=lambda value: str(value),
    )


def opened(new_page, user, width):
    page = new_page()
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    sign_in(page, user.email, PASSWORD, lands_on=r"/incidents/$")
    page.goto("/incidents/new/")
    return page


def submit(page, hands):
    with page.expect_navigation():
        hands.press(page.get_by_role("button", name="Log incident"))


def fill_the_rest(page, hands):
    hands.select(page.get_by_label("Product"), "Synergy Clinical (current version 5.4.2)")
    hands.check(page.get_by_label("3 – Minor fault"))
    hands.fill(page.get_by_label("Description"), "The appointments screen stops responding after a minute.")


@ways()
def test_a_checked_file_survives_a_refused_submission(new_page, practice_user, product, mode, width,
                                                      browser_problems):  # fmt: skip
    page = opened(new_page, practice_user, width)
    hands = hands_for(mode, page)
    fill_the_rest(page, hands)
    hands.upload(page.get_by_label("Screenshots or logs"), [SCREEN])
    submit(page, hands)  # no summary: refused

    expect(page.locator("#error-summary")).to_contain_text("Summary: This field is required.")
    kept = page.locator(".held-files")
    expect(kept).to_contain_text("Files already attached")
    expect(kept).to_contain_text("frozen-screen.png")
    expect(page.get_by_label("Remove frozen-screen.png")).not_to_be_checked()
    check_accessibility(page, f"log form refused, file kept ({mode}, {width})")

    hands.fill(page.get_by_label("Summary"), "Appointments screen freezes")
    submit(page, hands)

    expect(page.get_by_role("status").first).to_contain_text("Its reference is")
    incident = Incident.objects.get()
    assert [a.original_name for a in incident.attachments.all()] == ["frozen-screen.png"]
    browser_problems.assert_clean()


@pytest.mark.parametrize("mode", ["mouse", "keyboard"])
def test_a_kept_file_can_be_removed_before_sending(new_page, practice_user, product, mode, browser_problems):
    page = opened(new_page, practice_user, "phone")
    hands = hands_for(mode, page)
    fill_the_rest(page, hands)
    hands.upload(page.get_by_label("Screenshots or logs"), [SCREEN])
    submit(page, hands)  # no summary: refused, the file kept

    hands.check(page.get_by_label("Remove frozen-screen.png"))
    hands.fill(page.get_by_label("Summary"), "Appointments screen freezes")
    submit(page, hands)

    expect(page.get_by_role("status").first).to_contain_text("Its reference is")
    assert not Incident.objects.get().attachments.exists()
    browser_problems.assert_clean()


@ways()
def test_a_notes_checked_file_survives_a_refused_note(new_page, practice_user, incident, mode, width,
                                                      browser_problems):  # fmt: skip
    page = opened(new_page, practice_user, width)
    page.goto(incident.get_absolute_url())
    hands = hands_for(mode, page)
    hands.fill(page.get_by_role("textbox", name="Add a note"), f"Patient {NHS_NUMBER} again")
    hands.upload(page.get_by_label("Attach screenshots or logs"), [SCREEN])
    with page.expect_navigation():
        hands.press(page.get_by_role("button", name="Add note"))

    expect(page.locator("#div_id_text + .nhs-preview + #nhs-confirm")).to_be_visible()
    expect(page.locator(".held-files")).to_contain_text("frozen-screen.png")
    check_accessibility(page, f"note refused, file kept ({mode}, {width})")

    hands.fill(page.get_by_role("textbox", name="Add a note"), "The screen as it froze")
    with page.expect_navigation():
        hands.press(page.get_by_role("button", name="Add note"))

    expect(page.get_by_role("status").first).to_contain_text("Your note has been added")
    assert [a.original_name for a in incident.attachments.all()] == ["frozen-screen.png"]
    browser_problems.assert_clean()


@ways()
def test_the_nhs_number_confirmation_is_beside_its_field(new_page, practice_user, product, mode, width,
                                                         browser_problems):  # fmt: skip
    page = opened(new_page, practice_user, width)
    hands = hands_for(mode, page)
    hands.fill(page.get_by_label("Summary"), "Appointments screen freezes")
    fill_the_rest(page, hands)
    hands.fill(page.get_by_label("Description"), f"Search for {NHS_NUMBER} shows nothing")
    submit(page, hands)

    field = page.locator("#div_id_description")
    expect(field).to_contain_text(f"Description contains “{NHS_NUMBER}”")
    confirm = page.locator("#div_id_description + .nhs-preview + #nhs-confirm")
    expect(confirm).to_contain_text(f"I confirm that “{NHS_NUMBER}” is not an NHS number")
    check_accessibility(page, f"log form with NHS-number warning ({mode}, {width})")

    hands.check(page.get_by_label(re.compile("It is not an NHS number")))
    submit(page, hands)

    expect(page.get_by_role("status").first).to_contain_text("Its reference is")
    assert Incident.objects.get().description == f"Search for {NHS_NUMBER} shows nothing"
    browser_problems.assert_clean()


def below(upper, lower):
    """True when `lower` starts where `upper` ends or under it, no wider than the page allows."""
    top, bottom = upper.bounding_box(), lower.bounding_box()
    return bottom["y"] >= top["y"] + top["height"] - 1 and bottom["y"] - (top["y"] + top["height"]) < 40


@pytest.mark.parametrize("form", ["log", "note"])
def test_at_390_px_the_refused_text_is_previewed_under_its_field_with_the_number_marked(
    new_page, practice_user, product, incident, form, browser_problems
):
    page = opened(new_page, practice_user, "phone")
    typed = f"<script>alert(1)</script> The search for\n{NHS_NUMBER} shows nothing"
    if form == "log":
        page.get_by_label("Summary").fill("Appointments screen freezes")
        fill_the_rest(page, hands_for("mouse", page))
        page.get_by_label("Description").fill(typed)
        page.get_by_role("button", name="Log incident").click()
        field, name = page.locator("#div_id_description"), "Description"
    else:
        page.goto(incident.get_absolute_url())
        page.get_by_role("textbox", name="Add a note").fill(typed)
        page.get_by_role("button", name="Add note").click()
        field, name = page.locator("#div_id_text"), "your note"

    preview = page.locator(".nhs-preview")
    heading = preview.get_by_role("heading", name=re.compile(f"Where we found it in “?{name}”?"))
    preview.scroll_into_view_if_needed()
    expect(heading).to_be_in_viewport()
    expect(preview.locator("mark")).to_have_text(NHS_NUMBER)
    text = preview.locator(".nhs-preview-text").inner_text()
    assert text == typed  # the markup typed shown as text, the line break kept
    assert below(field, preview)
    assert below(preview, page.locator("#nhs-confirm"))
    box = preview.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    check_accessibility(page, f"{form} form refused with the NHS-number preview (phone)")
    browser_problems.assert_clean()


def test_a_long_preview_does_not_scroll_sideways_at_320_px(new_page, practice_user, incident):
    page = opened(new_page, practice_user, "phone")
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(incident.get_absolute_url())
    page.get_by_role("textbox", name="Add a note").fill(f"{NHS_NUMBER} " + "an-unbroken-identifier" * 20)
    page.get_by_role("button", name="Add note").click()

    expect(page.locator(".nhs-preview mark")).to_have_text(NHS_NUMBER)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


@ways()
def test_a_draft_comes_back_after_a_reload_without_secrets(new_page, practice_user, product, mode, width,
                                                           browser_problems):  # fmt: skip
    page = opened(new_page, practice_user, width)
    hands = hands_for(mode, page)
    hands.fill(page.get_by_label("Summary"), "Printer queue stuck")
    hands.check(page.get_by_label("2 – Major fault"))
    hands.fill(page.get_by_label("Remote-access details"), "ID 123 456, code 9981")
    page.reload()

    offer = page.locator("#draft-offer")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("You have a draft of this form")
    expect(page.get_by_label("Summary")).to_have_value("")
    check_accessibility(page, f"log form offering a draft ({mode}, {width})")

    hands.press(page.get_by_role("button", name="Restore your draft"))

    expect(page.get_by_label("Summary")).to_have_value("Printer queue stuck")
    expect(page.get_by_label("2 – Major fault")).to_be_checked()
    expect(page.get_by_label("Remote-access details")).to_have_value("")  # never kept
    expect(offer.get_by_role("status")).to_be_focused()
    stored = page.evaluate("() => JSON.stringify(sessionStorage)")
    assert "9981" not in stored and "Printer queue stuck" in stored
    browser_problems.assert_clean()


def test_a_discarded_draft_is_gone(new_page, practice_user, product):
    page = opened(new_page, practice_user, "desktop")
    page.get_by_label("Summary").fill("Printer queue stuck")
    page.reload()

    page.get_by_role("button", name="Discard").click()

    expect(page.get_by_label("Summary")).to_have_value("")
    page.reload()
    expect(page.locator("#draft-offer")).to_be_hidden()


def test_a_draft_survives_a_session_timeout_and_signing_in_again(new_page, practice_user, product):
    page = opened(new_page, practice_user, "desktop")
    page.get_by_label("Summary").fill("Printer queue stuck")
    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)  # gone, as after the idle timeout

    page.get_by_role("button", name="Log incident").click()  # the sign-in page, with this tab's storage
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Email address").fill(practice_user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/incidents/new/$"))
    page.get_by_role("button", name="Restore your draft").click()
    expect(page.get_by_label("Summary")).to_have_value("Printer queue stuck")
    assert not Incident.objects.exists()


def test_a_draft_is_cleared_once_sent_and_on_signing_out(new_page, practice_user, product):
    page = opened(new_page, practice_user, "desktop")
    page.get_by_label("Summary").fill("Printer queue stuck")
    fill_the_rest(page, hands_for("mouse", page))
    page.get_by_role("button", name="Log incident").click()
    expect(page.get_by_role("status").first).to_contain_text("Its reference is")
    assert page.evaluate(DRAFT_KEYS) == []

    page.goto("/incidents/new/")
    page.get_by_label("Summary").fill("Another one")
    assert page.evaluate(DRAFT_KEYS) != []
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/signed-out/"))
    assert page.evaluate(DRAFT_KEYS) == []


def note_box(page):
    return page.get_by_role("textbox", name="Add a note")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("mode", ["mouse", "keyboard"])
def test_a_notes_draft_comes_back_after_a_reload(new_page, practice_user, incident, mode, width,
                                                 browser_problems):  # fmt: skip
    page = opened(new_page, practice_user, width)
    page.goto(incident.get_absolute_url())
    hands = hands_for(mode, page)
    hands.fill(note_box(page), "The screen froze again after the 10:00 update")
    page.reload()

    offer = page.locator("#draft-offer")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("You have a draft of a note")
    expect(note_box(page)).to_have_value("")
    check_accessibility(page, f"incident page offering a note's draft ({mode}, {width})")

    hands.press(page.get_by_role("button", name="Restore your draft"))

    expect(note_box(page)).to_have_value("The screen froze again after the 10:00 update")
    expect(offer.get_by_role("status")).to_contain_text("Your draft is restored in the note below")
    expect(offer.get_by_role("status")).to_be_focused()
    browser_problems.assert_clean()


def test_a_notes_draft_waits_by_its_form_and_leaves_the_page_at_its_status(new_page, practice_user, incident):
    """The incident page opens where it always does, at the incident's status: a note's draft is offered
    beside the note form, without taking focus or scrolling there on every visit."""
    page = opened(new_page, practice_user, "phone")
    page.goto(incident.get_absolute_url())
    note_box(page).fill("Still frozen")

    page.goto("/incidents/")
    page.goto(incident.get_absolute_url())

    expect(page.locator("#draft-offer")).to_be_visible()
    expect(page.locator("#draft-offer [data-draft-heading]")).not_to_be_focused()
    assert page.evaluate("window.scrollY") == 0
    expect(page.get_by_role("heading", level=1)).to_be_in_viewport()


def test_a_sent_note_leaves_no_draft(new_page, practice_user, incident):
    page = opened(new_page, practice_user, "desktop")
    page.goto(incident.get_absolute_url())
    note_box(page).fill("The screen as it froze")
    assert page.evaluate(DRAFT_KEYS) != []

    page.get_by_role("button", name="Add note").click()

    expect(page.get_by_role("status").first).to_contain_text("Your note has been added")
    assert page.evaluate(DRAFT_KEYS) == []
    page.reload()
    expect(page.locator("#draft-offer")).to_be_hidden()
    expect(note_box(page)).to_have_value("")


def test_a_notes_draft_is_offered_on_its_own_incident_only(new_page, practice_user, incident, product):
    other = IncidentFactory(reporter=practice_user, product=product, summary="Printer queue stuck")
    page = opened(new_page, practice_user, "desktop")
    page.goto(incident.get_absolute_url())
    note_box(page).fill("Only about the appointments screen")

    page.goto(other.get_absolute_url())

    expect(page.locator("#draft-offer")).to_be_hidden()
    expect(note_box(page)).to_have_value("")
    page.goto(incident.get_absolute_url())  # kept for its incident meanwhile
    page.get_by_role("button", name="Restore your draft").click()
    expect(note_box(page)).to_have_value("Only about the appointments screen")


def test_a_notes_draft_survives_a_session_timeout_and_signing_in_again(new_page, practice_user, incident):
    page = opened(new_page, practice_user, "desktop")
    page.goto(incident.get_absolute_url())
    note_box(page).fill("Written before lunch")
    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)  # gone, as after the idle timeout

    page.get_by_role("button", name="Add note").click()  # sent too late: to sign in, with this tab's storage
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Email address").fill(practice_user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(rf"/incidents/{incident.reference}/$"))
    page.get_by_role("button", name="Restore your draft").click()
    expect(note_box(page)).to_have_value("Written before lunch")
    assert not incident.events.filter(text__contains="Written before lunch").exists()


def test_a_notes_draft_goes_on_signing_out(new_page, practice_user, incident):
    page = opened(new_page, practice_user, "desktop")
    page.goto(incident.get_absolute_url())
    note_box(page).fill("Not for the next person at this PC")
    assert page.evaluate(DRAFT_KEYS) != []

    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(re.compile(r"/accounts/signed-out/"))
    assert page.evaluate(DRAFT_KEYS) == []


def test_sending_a_note_keeps_the_draft_of_the_log_form(new_page, practice_user, incident, product):
    page = opened(new_page, practice_user, "desktop")
    page.get_by_label("Summary").fill("Printer queue stuck")
    page.goto(incident.get_absolute_url())
    note_box(page).fill("The screen as it froze")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("status").first).to_contain_text("Your note has been added")

    page.goto("/incidents/new/")

    page.get_by_role("button", name="Restore your draft").click()
    expect(page.get_by_label("Summary")).to_have_value("Printer queue stuck")


def test_a_new_tab_has_no_draft(new_page, practice_user, product):
    page = opened(new_page, practice_user, "desktop")
    page.get_by_label("Summary").fill("Printer queue stuck")

    other_tab = page.context.new_page()
    other_tab.goto("/incidents/new/")

    expect(other_tab.locator("#draft-offer")).to_be_hidden()


@pytest.mark.parametrize("state", ["fresh", "refused"])
def test_the_log_form_does_not_scroll_sideways_at_320_px(new_page, practice_user, product, state):
    page = opened(new_page, practice_user, "phone")
    page.set_viewport_size({"width": 320, "height": 800})
    if state == "refused":
        page.get_by_label("Description").fill(f"Patient {NHS_NUMBER} with a-very-long-unbroken-word" * 3)
        page.get_by_label("Screenshots or logs").set_input_files([{**SCREEN, "name": "x" * 80 + ".png"}])
        page.get_by_role("button", name="Log incident").click()
        expect(page.locator(".held-files")).to_be_visible()

    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


@pytest.mark.skipif(not os.environ.get("SCREENSHOT_DIR"), reason="set SCREENSHOT_DIR to take screenshots")
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1366, 390, 320])
def test_screenshots(new_page, practice_user, product, scheme, width):
    """Not a check: pictures of the form's states for a person to look at."""
    folder = Path(os.environ["SCREENSHOT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    page = opened(new_page, practice_user, "phone")
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": width, "height": 900})
    page.screenshot(path=folder / f"new-{width}-{scheme}.png", full_page=True)
    page.locator(".severity-urgency").screenshot(path=folder / f"severity-{width}-{scheme}.png")
    page.get_by_label("Summary").fill("Printer queue stuck")
    page.reload()
    expect(page.locator("#draft-offer")).to_be_in_viewport()
    page.screenshot(path=folder / f"draft-{width}-{scheme}.png")
    page.get_by_role("button", name="Discard").click()
    page.get_by_label("Description").fill(f"Patient {NHS_NUMBER}")
    page.get_by_label("Screenshots or logs").set_input_files([SCREEN])
    page.get_by_role("button", name="Log incident").click()
    page.screenshot(path=folder / f"refused-{width}-{scheme}.png", full_page=True)
    page.screenshot(path=folder / f"refused-top-{width}-{scheme}.png")
    description = page.locator("#div_id_description")
    description.scroll_into_view_if_needed()
    page.screenshot(path=folder / f"nhs-{width}-{scheme}.png")
    page.locator(".held-files").scroll_into_view_if_needed()
    page.screenshot(path=folder / f"held-{width}-{scheme}.png")


@pytest.mark.skipif(not os.environ.get("SCREENSHOT_DIR"), reason="set SCREENSHOT_DIR to take screenshots")
@pytest.mark.parametrize("width", [1366, 390, 320])
def test_note_screenshots(new_page, practice_user, incident, width):
    """Not a check: the refused note form with its file kept, for a person to look at."""
    folder = Path(os.environ["SCREENSHOT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    page = opened(new_page, practice_user, "phone")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(incident.get_absolute_url())
    page.get_by_role("textbox", name="Add a note").fill(f"Patient {NHS_NUMBER}")
    page.get_by_label("Attach screenshots or logs").set_input_files([{**SCREEN, "name": "y" * 60 + ".png"}])
    page.get_by_role("button", name="Add note").click()
    page.locator("#nhs-confirm").scroll_into_view_if_needed()
    page.screenshot(path=folder / f"note-{width}.png")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
