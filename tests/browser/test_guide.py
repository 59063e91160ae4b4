"""The portal guide's pictures and tutorial are taken from the real pages by this test (`make guide`).

In the suite it walks the pages the guide shows and checks each is what its caption says, saving the
pictures to a temporary folder. `make guide` runs it with GUIDE_DIR=static/guide, so that the committed
pictures show the product as it is, and then turns the recorded frames into static/guide/tutorial.webm
(tests/browser/guide_video.py, with Debian's ffmpeg).
"""

import base64
import datetime as dt
import importlib
import json
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import Incident
from tests.browser.conftest import needs_chromium, sign_in
from tests.factories import PASSWORD, IncidentFactory

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]

# `make guide`: the pictures and the frames go to this folder, and each caption stays up to be read.
RECORDING = bool(os.environ.get("GUIDE_DIR"))
# The size of every picture in the guide (templates/help/guide.html gives it to each <img>).
VIEWPORT = {"width": 1366, "height": 900}


@pytest.fixture
def guide_dir(tmp_path):
    folder = Path(os.environ["GUIDE_DIR"]) if RECORDING else tmp_path / "guide"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Recorder:
    """Chromium's screencast (DevTools' Page.startScreencast): each frame it paints, with its time, saved
    as a JPEG in `frames/` with an index (frames.json) for guide_video.py."""

    def __init__(self, page, folder):
        self.folder = folder / "frames"
        self.folder.mkdir(exist_ok=True)
        for old in self.folder.glob("*.jpg"):
            old.unlink()
        self.frames = []
        self.session = page.context.new_cdp_session(page)
        self.session.on("Page.screencastFrame", self._frame)
        self.session.send("Page.startScreencast", {"format": "jpeg", "quality": 85, "everyNthFrame": 1})

    def _frame(self, event):
        name = f"{len(self.frames):05d}.jpg"
        (self.folder / name).write_bytes(base64.b64decode(event["data"]))
        self.frames.append({"file": name, "time": event["metadata"]["timestamp"]})
        self.session.send("Page.screencastFrameAck", {"sessionId": event["sessionId"]})

    def stop(self):
        self.session.send("Page.stopScreencast")
        (self.folder / "frames.json").write_text(json.dumps(self.frames))
        return len(self.frames)


_CAPTION = """text => {
  let box = document.getElementById("guide-caption");
  if (!text) { if (box) box.remove(); return; }
  if (!box) {
    box = document.createElement("div");
    box.id = "guide-caption";
    Object.assign(box.style, {position: "fixed", left: "0", right: "0", bottom: "0", zIndex: "9999",
      padding: "16px 24px", background: "rgba(13, 27, 42, 0.92)", color: "#fff", font: "600 22px system-ui",
      textAlign: "center"});
    document.body.appendChild(box);
  }
  box.textContent = text;
}"""


def caption(page, text=""):
    """The tutorial's caption along the bottom of the page (none in the guide's pictures)."""
    page.evaluate(_CAPTION, text)
    if text and RECORDING:
        page.wait_for_timeout(1500)  # `make guide` only: long enough to read in the video


# The guide's pictures beyond the tutorial: (file, path, what the page must show), each of a page the guide
# describes (templates/help/guide.html shows them all).
def _pages(references):
    return [
        ("asked", f"/incidents/{references['asked']}/", "Which scanner model"),
        ("closed", f"/incidents/{references['closed']}/", "Reopen"),
        ("complete-details", f"/incidents/{references['emailed']}/details/", "Complete the checklist"),
        ("remote-access", "/incidents/remote-access/", "Remote access"),
        ("email-settings", "/accounts/email-settings/", "Email"),
        ("your-service", "/help/your-service/", "Your service"),
    ]


def test_the_guides_pictures_and_tutorial_are_of_the_working_pages(
    chromium, live_server, practice_user, product, incidents_in_every_state, guide_dir
):
    references = incidents_in_every_state
    context = chromium.new_context(base_url=live_server.url, viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    page = context.new_page()
    recorder = Recorder(page, guide_dir)
    try:
        page.goto("/accounts/login/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Sign in")
        page.screenshot(path=guide_dir / "sign-in.png")
        caption(page, "Sign in with your email address and password")
        sign_in(page, practice_user.email, PASSWORD, lands_on=r"/incidents/$")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Incidents")
        page.screenshot(path=guide_dir / "incident-list.png")
        caption(page, "Your practice's incidents: what needs you comes first")

        page.goto("/incidents/new/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Log an incident")
        page.screenshot(path=guide_dir / "log-incident.png")
        caption(page, "Log an incident: say what happened, in your own words")
        page.get_by_label("Summary").press_sequentially("Appointments screen freezes", delay=40)
        page.get_by_label("Description").press_sequentially("It stops responding after a minute.", delay=25)
        page.get_by_label("Product").select_option(index=1)
        page.get_by_label("3 – Minor fault").check()
        caption(page, "Severity is how badly the fault stops the practice working")
        page.get_by_role("button", name="Log incident").click()
        expect(page).to_have_url(re.compile(r"/incidents/PC\d{6}/$"))
        caption(page, "Note the reference: quote it if you telephone us")

        page.goto(f"/incidents/{references['open']}/")
        expect(page.get_by_role("heading", level=1)).to_contain_text(references["open"])
        page.screenshot(path=guide_dir / "incident-page.png")
        caption(page, "Each incident's page shows its history; add a note or a file at any time")

        page.goto(f"/incidents/{references['resolved']}/")
        expect(page.get_by_role("button", name=re.compile("Confirm", re.IGNORECASE)).first).to_be_visible()
        page.screenshot(path=guide_dir / "resolved.png")
        caption(page, "When we resolve it, confirm that it works, or tell us it does not")

        page.goto("/incidents/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Incidents")
        caption(page, "Help, at the top of every page, has this guide and your service's details")
    finally:
        frames = recorder.stop()
    try:  # the other pictures, after the tutorial's recording
        for name, path, shows in _pages(references):
            page.goto(path)
            expect(page.locator("main")).to_contain_text(shows)
            page.screenshot(path=guide_dir / f"{name}.png")
        page.goto(f"/surveys/{_survey_invitation(practice_user, product).token}/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.screenshot(path=guide_dir / "survey.png")
    finally:
        context.close()

    assert Incident.objects.filter(summary="Appointments screen freezes").exists()
    for name in GUIDE_PICTURES:
        assert (guide_dir / f"{name}.png").stat().st_size > 10_000, f"{name}.png looks empty"
    assert frames > 10, "the tutorial recorded too few frames to be a video"


# Every picture the guide shows, each taken above.
GUIDE_PICTURES = (
    "sign-in",
    "incident-list",
    "log-incident",
    "incident-page",
    "asked",
    "resolved",
    "closed",
    "complete-details",
    "remote-access",
    "email-settings",
    "your-service",
    "survey",
)


def _survey_invitation(customer, product):
    """An emailed survey invitation about one of the customer's incidents, closed last month."""
    import django.apps

    from surveys.models import Invitation, Question, SurveyRound
    from surveys.services import send_invitation

    if not Question.objects.exists():  # the default questions, flushed by the transactional tests before
        importlib.import_module("surveys.migrations.0003_default_questions").create(django.apps.apps, None)
    today = timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    survey_round = SurveyRound.objects.create(
        month=last_month, round_date=today.replace(day=1), seed=1, population=1, eligible_count=1
    )
    incident = IncidentFactory(reporter=customer, product=product, summary="Repeat prescriptions print twice")
    # Setup, not a transition: what a survey asks about is a closed incident of last month.
    Incident.objects.filter(pk=incident.pk).update(
        status="closed", closed_at=timezone.now().replace(day=1) - dt.timedelta(days=10)
    )
    invitation = Invitation.objects.create(round=survey_round, customer=customer, incident=incident)
    assert send_invitation(invitation.pk)
    invitation.refresh_from_db()
    return invitation


def test_the_guide_shows_every_picture_it_takes():
    from django.conf import settings

    html = (settings.BASE_DIR / "templates/help/guide.html").read_text()
    shown = set(re.findall(r'include "help/figure.html" with picture="([a-z-]+)"', html))
    assert shown == set(GUIDE_PICTURES)
