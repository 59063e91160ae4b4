"""Help articles in headless Chromium (issue 19): a practice user opens them from the Help menu, searches by
words in any order, and reads one, at 1366 px and at 320 px; nothing scrolls sideways, and axe finds nothing
serious in either colour scheme. LIST_SCREENSHOTS=folder keeps a screenshot of each page."""

import pytest
from playwright.sync_api import expect

from knowledge.models import Article
from knowledge.services import article_save
from tests.browser.conftest import needs_chromium, sign_in
from tests.browser.hands import hands_for
from tests.browser.test_list_and_landing import SIDEWAYS, look, open_menu_on_a_phone
from tests.factories import PASSWORD, StaffFactory

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]

BODY = (
    "If a prescription is sent to print but nothing comes out:\n\n"
    "1. Check the printer is on and that **tray 2** holds FP10 paper.\n"
    "2. Choose **Tools › Printers** and check the prescription printer is the right one.\n\n"
    "## Still nothing?\n\n"
    "| Setting | Value |\n|---|---|\n| Paper | FP10SS, tray 2 |\n| Printer | RECEPTION-PRN-01-LONG-NAME |\n\n"
    "    C:\\ProgramData\\Synergy\\Printing\\printers-and-trays-configuration-file.xml\n\n"
    "> Restart the PC, then [log an incident](https://servicedesk.example.org/incidents/new/) with the "
    "printer's name and the exact message on screen."
)


@pytest.fixture
def help_articles(product):
    writer = StaffFactory(full_name="Robin Lead")
    for slug, title, body in [
        ("printing-prescriptions", "Printing prescriptions when nothing comes out", BODY),
        (
            "clearing-the-appointments-cache",
            "Clearing the appointments cache",
            "Close it, then open it again.",
        ),
        ("scheduling-a-report", "Scheduling a report to run overnight", "Choose Schedule, then a time."),
    ]:
        article = Article(title=title, slug=slug, body=body, published=True)
        article_save(article, actor=writer)
        article.products.set([product] if slug.startswith("printing") else [])


@pytest.mark.parametrize("width", [1366, 320])
def test_a_practice_user_searches_and_reads_a_help_article(browser_page, practice_user, help_articles, width):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    device = "phone" if width < 600 else "desktop"
    hands = hands_for("mouse", page)
    sign_in(page, practice_user.email, PASSWORD, lands_on=r"/incidents/$")

    open_menu_on_a_phone(page, hands, device)
    hands.menu("Help", "Help articles")

    expect(page.get_by_role("heading", level=1)).to_have_text("Help articles")
    assert page.evaluate(SIDEWAYS) <= 0, "the list scrolls sideways"
    look(page, "articles")
    page.get_by_label("Search help articles").fill("tray printing")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status")).to_have_text("1 article with “tray”, “printing”.")
    expect(page.locator("mark").first).to_have_text("Printing")
    assert page.evaluate(SIDEWAYS) <= 0, "the search results scroll sideways"
    look(page, "articles-search")

    page.get_by_role("link", name="Printing prescriptions when nothing comes out").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Printing prescriptions when nothing comes out")
    expect(page.get_by_role("heading", level=2, name="Still nothing?")).to_be_visible()
    assert page.evaluate(SIDEWAYS) <= 0, "the article scrolls sideways"
    look(page, "article")
