"""Practices read and search the help articles at /help/articles/: published articles for practices only,
every word in any order, matches highlighted, filtered by product."""

import html as html_module
import re

import pytest

from tests.conftest import login
from tests.knowledge.conftest import make_article

LIST = "/help/articles/"


def titles(response):
    """The articles' titles in the order listed, without their highlighting."""
    html = response.content.decode()
    listed = re.findall(r'<h2 class="h5 mb-1"><a href="[^"]+">(.*?)</a>', html)
    return [html_module.unescape(re.sub(r"</?mark>", "", title)) for title in listed]


def test_the_list_shows_the_published_articles_for_practices(user_client, articles):
    response = user_client.get(LIST)

    assert response.status_code == 200
    assert titles(response) == [
        "Clearing the appointments cache",
        "Printing prescriptions",
        "Scheduling a report",
    ]


def test_search_finds_an_article_by_its_words_in_any_order_and_highlights_them(user_client, articles):
    response = user_client.get(LIST, {"q": "tray prescriptions PRINT"})

    assert titles(response) == ["Printing prescriptions"]
    html = response.content.decode()
    assert "<mark>Printing</mark> <mark>prescriptions</mark>" in html
    assert "<mark>tray</mark>" in html  # in the excerpt of the body
    assert "1 article with “tray”, “prescriptions”, “print”." in html


def test_every_word_must_appear(user_client, articles):
    assert titles(user_client.get(LIST, {"q": "print cache"})) == []
    assert titles(user_client.get(LIST, {"q": "cache appointment"})) == ["Clearing the appointments cache"]


def test_a_word_matches_the_start_of_a_word_only(user_client, articles):
    assert titles(user_client.get(LIST, {"q": "sched"})) == ["Scheduling a report"]
    assert titles(user_client.get(LIST, {"q": "heduling"})) == []


def test_no_results_says_so_and_what_to_do(user_client, articles):
    html = user_client.get(LIST, {"q": "fax machine"}).content.decode()

    assert "No articles match" in html
    assert "every word you type must appear" in html
    assert 'href="/incidents/new/"' in html


def test_with_no_articles_the_page_says_so(user_client, db):
    html = user_client.get(LIST).content.decode()

    assert "There are no help articles yet." in html


def test_desk_only_and_unpublished_articles_are_hidden_from_practices(user_client, articles):
    assert titles(user_client.get(LIST, {"q": "print"})) == ["Printing prescriptions"]
    assert user_client.get("/help/articles/resetting-a-print-server/").status_code == 404
    assert user_client.get("/help/articles/printing-letters/").status_code == 404
    assert user_client.get("/help/articles/no-such-article/").status_code == 404


def test_the_desk_sees_its_own_articles_marked(agent_client, articles):
    response = agent_client.get(LIST, {"q": "print"})

    assert titles(response) == ["Printing prescriptions", "Resetting a practice's print server"]
    assert "Desk only" in response.content.decode()
    assert agent_client.get("/help/articles/resetting-a-print-server/").status_code == 200


def test_the_product_filter_keeps_articles_about_that_product_or_every_product(
    user_client, articles, product
):
    response = user_client.get(LIST, {"product": product.pk})

    assert titles(response) == ["Printing prescriptions", "Scheduling a report"]
    options = re.findall(r"<option [^>]*>([^<]*)</option>", response.content.decode())
    assert options == ["Any product", "Docman", "Synergy Clinical"]  # products with articles only


def test_a_product_that_is_not_offered_is_named_not_applied(user_client, articles):
    response = user_client.get(LIST, {"product": "987654"})

    assert response.status_code == 200
    assert "This filter was not applied." in response.content.decode()
    assert len(titles(response)) == 3


def test_the_article_page_shows_the_rendered_text_products_and_date(user_client, articles):
    response = user_client.get("/help/articles/printing-prescriptions/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 id="article-title">Printing prescriptions' in html
    assert "<strong>printer tray</strong>" in html
    assert "For Synergy Clinical" in html
    assert "last updated" in html


def test_an_article_with_html_shows_it_as_text(user_client, editor):
    make_article(
        actor=editor, title="Odd", slug="odd", body="<script>alert(1)</script> [x](javascript:alert(1))"
    )

    html = user_client.get("/help/articles/odd/").content.decode()

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript' not in html


def test_signed_out_visitors_are_sent_to_sign_in(client, articles):
    for url in (LIST, "/help/articles/printing-prescriptions/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


def test_the_help_menu_links_to_the_articles(user_client, db):
    assert (
        f'<a class="dropdown-item" href="{LIST}">Help articles</a>'
        in user_client.get("/help/").content.decode()
    )


# The user, the products offered, the count, the page, its articles' products, the known issues' banner;
# choosing a product checks it.
@pytest.mark.parametrize(("search", "queries"), [("", 6), ("print", 6), ("product", 7)])
def test_the_list_takes_a_fixed_number_of_queries(
    client, practice_user, editor, product, django_assert_num_queries, search, queries
):
    for number in range(25):  # more than a page, each with a product
        make_article(
            actor=editor,
            title=f"Printing tip {number}",
            slug=f"tip-{number}",
            body="Print.",
            products=[product],
        )
    login(client, practice_user)
    params = {"": {}, "print": {"q": "print"}, "product": {"q": "print", "product": product.pk}}[search]

    with django_assert_num_queries(queries):
        response = client.get(LIST, params)

    assert len(titles(response)) == 20


def test_the_article_page_takes_a_fixed_number_of_queries(
    client, practice_user, articles, django_assert_num_queries
):
    login(client, practice_user)

    with django_assert_num_queries(4):  # the user, the article, its products, the known issues' banner
        assert client.get("/help/articles/printing-prescriptions/").status_code == 200
