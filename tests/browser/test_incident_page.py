"""The incident page in a real browser (issue 16), with the mouse and by keyboard alone, on a desktop and
a phone: what needs the practice at the top, the timeline before the details, a screenshot's thumbnail
and its larger view, following an incident, and reopening a closed one; axe at every step; nothing
scrolls sideways at 320 px."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from playwright.sync_api import expect

from incidents import services
from incidents.attachments import check_uploads
from incidents.models import Incident, Status
from tests.browser.axe import check_accessibility
from tests.browser.conftest import needs_chromium, sign_in
from tests.browser.hands import hands_for
from tests.factories import PASSWORD

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]

SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


def screenshot_png():
    buffer = io.BytesIO()
    image = Image.new("RGB", (1280, 720), (240, 240, 240))
    image.paste((200, 30, 30), (100, 100, 700, 300))
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def closed(incident, agent, practice_user):
    """Closed today after a resolution, with the practice's screenshot and log and a desk note."""
    uploads = check_uploads(
        [
            SimpleUploadedFile("appointments screen.png", screenshot_png()),
            SimpleUploadedFile("spooler.log", b"10:01 Spooler error 0x0002\n"),
        ]
    )
    services.incident_add_note(incident, actor=practice_user, text="The screen as it froze", uploads=uploads)
    services.incident_verify(incident, actor=agent)
    services.incident_start_investigation(incident, actor=agent)
    services.incident_add_note(incident, actor=agent, text="We are looking at the appointments server.")
    services.incident_resolve(incident, actor=agent, resolution="Restarted the appointments service.")
    return services.incident_confirm(incident, actor=practice_user)


def _open(new_page, user, incident, size):
    page = new_page()
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    sign_in(page, user.email, PASSWORD, lands_on=r"/incidents/$")
    page.goto(f"/incidents/{incident.reference}/")
    return page


def _top(locator):
    return locator.bounding_box()["y"]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("mode", ["mouse", "keyboard"])
def test_a_colleague_reads_follows_and_reopens_a_closed_incident(
    new_page, browser_problems, closed, colleague, mode, size
):
    page = _open(new_page, colleague, closed, size)
    hands = hands_for(mode, page)
    label = f"incident page, closed ({mode}, {size})"

    expect(page.locator(".status-tag")).to_contain_text("Closed")
    status = page.get_by_role("region", name=re.compile("Status: Closed"))
    expect(status).to_contain_text("Restarted the appointments service.")
    timeline = page.get_by_role("heading", name="Timeline", level=2)
    details = page.get_by_role("heading", name="Details", level=2)
    assert _top(status) < _top(timeline) < _top(details)
    expect(page.locator(".timeline-desk", has_text="We are looking at")).to_contain_text("Service Desk")
    thumbnail = page.get_by_role("img", name="Screenshot appointments screen.png")
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth") == 320
    expect(page.get_by_role("link", name="spooler.log")).to_be_visible()
    expect(page.locator(".timeline-files")).to_contain_text("(text, 27\xa0bytes)")
    check_accessibility(page, label)

    # The larger view, and back.
    hands.press(page.get_by_role("link", name=re.compile("Open a larger view|Screenshot appointments")))
    expect(page).to_have_url(re.compile(r"/attachments/\d+/large/$"))
    page.go_back()

    hands.press(page.get_by_role("button", name="Follow"))
    expect(page.get_by_role("button", name="Stop following")).to_be_visible()
    assert closed.followers.filter(user=colleague).exists()

    hands.fill(page.get_by_label("Why are you reopening it?"), "The screen freezes again after lunch")
    hands.press(page.get_by_role("button", name="Reopen the incident"))

    expect(page.locator(".status-tag")).to_contain_text("Investigating")
    expect(page.get_by_role("status")).to_contain_text("is reopened")
    check_accessibility(page, f"incident page, reopened ({mode}, {size})")
    assert Incident.objects.get(pk=closed.pk).status == Status.INVESTIGATING
    browser_problems.assert_clean()


@pytest.mark.parametrize("size", SIZES)
def test_a_resolved_incident_passes_axe_with_its_choice_at_the_top(
    new_page, browser_problems, incident, agent, practice_user, size
):
    services.incident_verify(incident, actor=agent)
    services.incident_start_investigation(incident, actor=agent)
    incident = services.incident_resolve(incident, actor=agent, resolution="Driver reinstalled.")
    page = _open(new_page, practice_user, incident, size)

    confirm = page.get_by_role("button", name="Confirm: it is resolved")
    assert _top(confirm) < _top(page.get_by_role("heading", name="Timeline", level=2))
    check_accessibility(page, f"incident page, resolved ({size})")
    browser_problems.assert_clean()


@pytest.mark.parametrize("status", ["closed", "open"])
def test_nothing_scrolls_sideways_at_320_px(new_page, closed, agent, practice_user, status):
    if status == "open":
        services.incident_reopen(closed, actor=practice_user, reason="A-very-long-unbroken-word-" * 8)
    page = new_page()
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page, practice_user.email, PASSWORD, lands_on=r"/incidents/$")
    page.goto(f"/incidents/{closed.reference}/")

    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a 320 px window"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("mode", ["mouse", "keyboard"])
def test_the_practice_changes_remote_access_and_its_email_settings(
    new_page, browser_problems, incident, practice_user, mode, size
):
    page = _open(new_page, practice_user, incident, size)
    hands = hands_for(mode, page)

    hands.press(page.get_by_text("Change remote access for this incident"))
    hands.check(page.get_by_label("The Service Desk may connect to our system"))
    hands.fill(page.get_by_label("New connection details"), "AnyDesk 812 334 991, code Tulip-42")
    check_accessibility(page, f"incident page, remote access open ({mode}, {size})")
    hands.press(page.get_by_role("button", name="Save remote access"))

    expect(page.get_by_role("status")).to_contain_text("Remote access updated")
    expect(page.locator(".timeline")).to_contain_text("Remote-access details changed.")
    assert "Tulip" not in page.content()
    incident.refresh_from_db()
    assert incident.remote_access_details == "AnyDesk 812 334 991, code Tulip-42"

    page.goto("/accounts/email-settings/")
    check_accessibility(page, f"email settings ({mode}, {size})")
    hands.check(page.get_by_role("radio", name=re.compile("None, except resolutions")))
    hands.press(page.get_by_role("button", name="Save"))
    expect(page.get_by_role("status")).to_contain_text("Your email settings are saved.")
    practice_user.refresh_from_db()
    assert practice_user.email_updates == "resolutions"

    page.goto("/incidents/remote-access/")
    check_accessibility(page, f"practice remote access ({mode}, {size})")
    browser_problems.assert_clean()
