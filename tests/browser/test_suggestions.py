"""The log form's "Is it one of these?" in headless Chromium (issue 19, "Before logging"): a practice user
types a summary, a matching help article is offered just after the field, the keyboard reaches it and
opens it in the same tab (recorded for the reports), and on the way back what was typed is still there.
axe finds nothing serious with the offer shown, in either colour scheme."""

import pytest
from playwright.sync_api import expect

from knowledge.models import Article, SuggestionOpened
from knowledge.services import article_save
from tests.browser.conftest import needs_chromium, sign_in
from tests.browser.test_list_and_landing import look
from tests.factories import PASSWORD, StaffFactory

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def printing_article(db):
    article = Article(
        title="Printing prescriptions when nothing comes out",
        slug="printing-prescriptions",
        body="Check that **tray 2** holds FP10 paper.",
        published=True,
    )
    article_save(article, actor=StaffFactory(full_name="Robin Lead"))
    return article


def test_a_practice_user_is_offered_an_article_while_typing_and_opens_it_by_keyboard(
    browser_page, practice_user, printing_article
):
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, practice_user.email, PASSWORD, lands_on=r"/incidents/$")
    page.goto("/incidents/new/")
    summary = page.get_by_label("Summary")

    summary.focus()
    summary.press_sequentially("Prescriptions not printing", delay=20)

    offers = page.locator("#suggestions")
    expect(offers.get_by_role("heading", name="Is it one of these?")).to_be_visible()
    offer = offers.get_by_role("button", name="Printing prescriptions when nothing comes out")
    expect(offer).to_be_visible()
    look(page, "log-form-offer")

    page.keyboard.press("Tab")  # the offer comes straight after the summary field
    expect(offer).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url("/help/articles/printing-prescriptions/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Printing prescriptions when nothing comes out")
    assert SuggestionOpened.objects.filter(user=practice_user, object_id=printing_article.pk).count() == 1

    page.go_back()  # the summary typed is still there: kept by the page, or offered back as a draft
    expect(page).to_have_url("/incidents/new/")
    restore = page.get_by_role("button", name="Restore your draft")
    if restore.is_visible():
        restore.click()
    expect(page.get_by_label("Summary")).to_have_value("Prescriptions not printing")


def test_nothing_is_offered_for_words_no_article_has(browser_page, practice_user, printing_article):
    page = browser_page
    sign_in(page, practice_user.email, PASSWORD, lands_on=r"/incidents/$")
    page.goto("/incidents/new/")

    page.get_by_label("Summary").press_sequentially("Appointments screen freezes", delay=20)
    with page.expect_response(lambda response: "/help/articles/suggestions/" in response.url) as answer:
        page.get_by_label("Summary").press_sequentially("!")

    assert answer.value.status == 204
    expect(page.locator("#suggestions")).to_be_empty()
