"""An agent decides two requests for an account in admin, with the mouse and by keyboard alone: approves
one with the Approve button on its page, and rejects the other with Reject, giving the reason (first
forgetting it, which the page refuses). Staff sign in with their second factor, as in production.

axe runs on the pages this feature adds or changes (the request's page, the reason's page, with and
without its error, in the light and the dark colour scheme) and must find nothing serious or critical; the
browser must report no Content-Security-Policy violation or script error.
"""

import re

import pytest
from django.core import mail
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.models import AccountRequest, User
from tests.browser.axe import check_accessibility
from tests.browser.conftest import needs_chromium
from tests.browser.hands import hands_for
from tests.factories import PASSWORD

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]

WAITING = "/admin/accounts/accountrequest/?status__exact=pending"
REASON = "We could not confirm that you work at Riverside. Please ask your practice manager to call us."


def _request(practice, name, email):
    return AccountRequest.objects.create(
        practice=practice, full_name=name, email=email, phone="01632 960777", job_role="Receptionist"
    )


def _sign_in_with_second_factor(page, hands, agent, device):
    page.goto(f"/accounts/login/?next={WAITING.replace('?', '%3F').replace('=', '%3D')}")
    hands.fill(page.get_by_label("Email address"), agent.email)
    hands.fill(page.get_by_label("Password"), PASSWORD)
    with page.expect_navigation():
        hands.press(page.get_by_role("button", name="Sign in"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    hands.fill(page.get_by_label("Code"), f"{TOTP(device.bin_key).token():06d}")
    with page.expect_navigation():
        hands.press(page.get_by_role("button", name="Continue"))
    expect(page).to_have_url(re.compile(re.escape(WAITING) + "$"))


def _press(page, hands, locator, **kwargs):
    with page.expect_navigation():
        hands.press(locator, **kwargs)


def _check_both_schemes(page, label):
    """Admin follows the browser's colour scheme: the page must read well in both."""
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        # Admin's links fade to their new colours: measure the colours they settle on.
        page.wait_for_function("() => document.getAnimations().length === 0")
        check_accessibility(page, f"{label} ({scheme})")
    page.emulate_media(color_scheme="light")


@pytest.mark.parametrize("mode", ["mouse", "keyboard"])
def test_an_agent_approves_one_request_and_rejects_another_with_a_reason(
    mode, browser_page, browser_problems, settings, agent, practice
):
    settings.ADMIN_REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=agent, name="Phone", confirmed=True)
    approved = _request(practice, "Jamie Fox", "jamie.fox@riverside.example")
    rejected = _request(practice, "Pat Lee", "pat.lee@riverside.example")
    page = browser_page
    hands = hands_for(mode, page)
    _sign_in_with_second_factor(page, hands, agent, device)
    messages = page.locator("ul.messagelist")

    # Approve: the request's page, its Approve button, back to the requests still waiting.
    _press(page, hands, page.locator("#result_list").get_by_role("link", name="Jamie Fox"))
    expect(page.locator("#content h2")).to_contain_text("Jamie Fox")
    _check_both_schemes(page, "admin: a waiting account request")
    _press(page, hands, page.get_by_role("button", name="Approve"))
    expect(page).to_have_url(re.compile(re.escape(WAITING) + "$"))
    expect(messages).to_contain_text(
        "Account request from Jamie Fox approved: jamie.fox@riverside.example has been emailed a link"
    )
    approved.refresh_from_db()
    assert approved.status == AccountRequest.Status.APPROVED and approved.decided_by == agent
    assert User.objects.filter(email="jamie.fox@riverside.example", practice=practice).exists()
    expect(page.locator("#result_list").get_by_role("link", name="Jamie Fox")).to_have_count(0)

    # Reject: the request's page, Reject opens the reason's page; without a reason it is refused.
    _press(page, hands, page.locator("#result_list").get_by_role("link", name="Pat Lee"))
    _press(page, hands, page.get_by_role("link", name="Reject", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Reject the account request from Pat Lee")
    _check_both_schemes(page, "admin: reject an account request")
    _press(page, hands, page.get_by_role("button", name="Reject and email the reason"))
    expect(page.locator(".errornote")).to_have_text("Please correct the error below.")
    expect(page.locator(".errorlist")).to_have_text(
        "Give the reason for rejecting: it is emailed to the requester."
    )
    _check_both_schemes(page, "admin: reject an account request, no reason given")
    rejected.refresh_from_db()
    assert rejected.status == AccountRequest.Status.PENDING

    hands.fill(page.get_by_label("Reason"), REASON)
    _press(page, hands, page.get_by_role("button", name="Reject and email the reason"))
    expect(page).to_have_url(re.compile(re.escape(WAITING) + "$"))
    expect(messages).to_contain_text(
        "Account request from Pat Lee rejected: pat.lee@riverside.example has been emailed the reason."
    )
    rejected.refresh_from_db()
    assert (rejected.status, rejected.rejection_reason) == (AccountRequest.Status.REJECTED, REASON)
    assert any(m.to == ["pat.lee@riverside.example"] and REASON in m.body for m in mail.outbox)

    # Decided: its page offers neither button any more.
    page.goto(f"/admin/accounts/accountrequest/{rejected.pk}/change/")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    expect(page.get_by_role("link", name="Reject", exact=True)).to_have_count(0)
    check_accessibility(page, "admin: a decided account request")
    browser_problems.assert_clean()
