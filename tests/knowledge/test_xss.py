"""Stored cross-site scripting through help articles: a title and text typed in admin are shown as the
characters typed on every page that shows them (the portal's list, search and article pages, admin's list,
change page and old versions), never as markup. tests/security/test_stored_xss.py names this test as the
cover of the articles' and revisions' text fields."""

from knowledge.models import Article
from tests.conftest import login
from tests.security.payloads import assert_no_injected_markup, assert_shown_as_text, xss

TITLE = xss("Article.title", 150)
BODY = xss("Article.body")


def test_an_articles_title_and_text_are_shown_as_typed_everywhere(client, editor, practice_user, agent):
    login(client, editor)
    data = {"title": TITLE, "slug": "odd-one", "body": BODY, "audience": "practices", "published": "on"}
    assert client.post("/admin/knowledge/article/add/", data).status_code == 302
    article = Article.objects.get()
    data["body"] = f"{BODY}\n\nNow changed."
    assert client.post(f"/admin/knowledge/article/{article.pk}/change/", data).status_code == 302

    admin_pages = {
        "admin list": ("/admin/knowledge/article/", [TITLE]),
        "admin change page": (f"/admin/knowledge/article/{article.pk}/change/", [TITLE, BODY]),
        "old version": (f"/admin/knowledge/article/{article.pk}/revisions/2/", [TITLE, BODY]),
    }
    for where, (url, payloads) in admin_pages.items():
        assert_shown_as_text(client.get(url).content.decode(), payloads, where)

    for reader in (practice_user, agent):
        login(client, reader)
        listed = client.get("/help/articles/").content.decode()
        assert_shown_as_text(listed, [TITLE], "article list")
        searched = client.get("/help/articles/", {"q": "alert"}).content.decode()
        assert_no_injected_markup(searched, [TITLE, BODY], "article search")
        assert "<mark>alert</mark>" in searched
        page = client.get("/help/articles/odd-one/").content.decode()
        assert_shown_as_text(page, [TITLE, BODY], "article page")
