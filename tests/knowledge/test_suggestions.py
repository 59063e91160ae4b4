"""The log form's "Is it one of these?" (issue 19, "Before logging"): /help/articles/suggestions/ offers
the published articles for practices that match the summary typed (by all its significant words, or
failing that by most of them), and /help/articles/suggestions/open/ records an offer opened and goes on
to it."""

import html as html_module
import re

import pytest
from django.test import Client

from knowledge.models import SuggestionOpened
from knowledge.suggestions import significant_words
from tests.conftest import login
from tests.knowledge.conftest import make_article

SUGGESTIONS = "/help/articles/suggestions/"
OPEN = "/help/articles/suggestions/open/"


def offered(response):
    """The offers' titles in order, without their highlighting."""
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert "Is it one of these?" in html
    listed = re.findall(r'<button type="submit" form="suggestion-open" [^>]*>(.*?)</button>', html)
    return [html_module.unescape(re.sub(r"</?mark>", "", title)) for title in listed]


def test_an_article_is_offered_from_a_summary_whose_words_come_in_any_order(user_client, articles):
    response = user_client.get(SUGGESTIONS, {"summary": "The printer will not print prescriptions"})

    assert offered(response) == ["Printing prescriptions"]
    html = response.content.decode()
    assert "<mark>Printing</mark> <mark>prescriptions</mark>" in html
    assert f'name="offer" value="article:{articles["printing"].pk}"' in html


def test_when_no_article_has_every_word_those_with_most_of_them_are_offered(user_client, articles):
    response = user_client.get(SUGGESTIONS, {"summary": "Old slots in the appointment cache after reboot"})

    assert offered(response) == ["Clearing the appointments cache"]


def test_stop_words_and_short_words_are_not_looked_for():
    assert significant_words("It is not the printer, it's THE tray of a PC") == ["printer", "tray"]


def test_nothing_matching_is_an_empty_answer(user_client, articles):
    assert user_client.get(SUGGESTIONS, {"summary": "zzyzx quux"}).status_code == 204
    assert user_client.get(SUGGESTIONS, {"summary": "it is"}).status_code == 204
    assert user_client.get(SUGGESTIONS).status_code == 204


def test_desk_only_and_unpublished_articles_are_not_offered_to_practices(user_client, articles):
    assert user_client.get(SUGGESTIONS, {"summary": "spooler service"}).status_code == 204
    assert "Resetting a practice's print server" not in offered_or_empty(user_client, "print spooler")
    assert offered_or_empty(user_client, "printing letters") == ["Printing prescriptions"]  # by "printing"


def offered_or_empty(client, summary):
    response = client.get(SUGGESTIONS, {"summary": summary})
    return [] if response.status_code == 204 else offered(response)


def test_the_desk_is_offered_its_own_articles_too(agent_client, articles):
    assert offered_or_empty(agent_client, "print spooler") == ["Resetting a practice's print server"]


def test_a_summary_too_long_is_refused_with_a_message(user_client, articles):
    response = user_client.get(SUGGESTIONS, {"summary": "printer " * 40})

    assert response.status_code == 400
    assert "too long" in response.content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client, articles):
    assert client.get(SUGGESTIONS, {"summary": "printer"}).status_code == 302
    assert client.post(OPEN, {"offer": f"article:{articles['printing'].pk}"}).status_code == 302
    assert not SuggestionOpened.objects.exists()


def test_the_lookup_changes_nothing_and_takes_a_fixed_number_of_queries(
    client, practice_user, editor, django_assert_num_queries
):
    for number in range(12):
        make_article(actor=editor, title=f"Printer tip {number}", slug=f"tip-{number}", body="Tray.")
    login(client, practice_user)

    # The user (the session is cached), the practice's known issues with every word, the articles with them.
    with django_assert_num_queries(3):
        assert len(offered(client.get(SUGGESTIONS, {"summary": "printer tray"}))) == 3
    with django_assert_num_queries(6):  # ... then, no article having every word, one query per word (3)
        assert len(offered(client.get(SUGGESTIONS, {"summary": "printer tray broken"}))) == 3
    assert not SuggestionOpened.objects.exists()


# --- Opening an offer ----------------------------------------------------------------------------


def test_opening_an_offer_records_it_and_goes_on_to_the_article(user_client, practice_user, articles):
    printing = articles["printing"]

    response = user_client.post(OPEN, {"offer": f"article:{printing.pk}"})

    assert response.status_code == 303
    assert response.url == "/help/articles/printing-prescriptions/"
    opened = SuggestionOpened.objects.get()
    assert (opened.user, opened.practice, opened.kind, opened.object_id) == (
        practice_user,
        practice_user.practice,
        "article",
        printing.pk,
    )


def test_opening_needs_a_post_with_the_csrf_token(practice_user, articles):
    client = login(Client(enforce_csrf_checks=True), practice_user)
    offer = {"offer": f"article:{articles['printing'].pk}"}

    assert client.get(OPEN, offer).status_code == 405
    assert client.post(OPEN, offer).status_code == 403
    assert not SuggestionOpened.objects.exists()


@pytest.mark.parametrize("offer", ["desk", "draft", "unknown", "nonsense", "kind"])
def test_an_offer_the_practice_may_not_open_is_refused_and_not_recorded(user_client, articles, offer):
    value = {
        "desk": f"article:{articles['desk'].pk}",
        "draft": f"article:{articles['draft'].pk}",
        "unknown": "article:999999",
        "nonsense": "article:12abc",
        "kind": f"incident:{articles['printing'].pk}",
    }[offer]

    response = user_client.post(OPEN, {"offer": value})

    assert response.status_code == 400
    assert "no such suggestion" in response.content.decode()
    assert not SuggestionOpened.objects.exists()


def test_the_slug_suggestions_is_kept_for_the_offers_page(editor):
    from knowledge.forms import ArticleForm

    form = ArticleForm(
        data={"title": "Suggestions", "slug": "suggestions", "body": "Text.", "audience": "practices"}
    )

    assert not form.is_valid()
    assert "address of a page" in form.errors["slug"][0]


def test_the_practices_known_issue_is_offered_first_and_opening_it_is_recorded(
    user_client, practice_user, outsider, agent, incident, articles
):
    from incidents.known_issues import known_issue_declare

    issue = known_issue_declare(
        actor=agent, product=incident.product, title="Prescriptions print blank", symptoms="FP10 blank",
        severity=3,
    )  # fmt: skip

    response = user_client.get(SUGGESTIONS, {"summary": "Blank prescriptions"})

    assert offered(response)[0] == "Prescriptions print blank"
    assert "(known issue)" in response.content.decode()
    opened = user_client.post(OPEN, {"offer": f"known_issue:{issue.pk}"})
    assert (opened.status_code, opened["Location"]) == (303, issue.get_absolute_url())
    assert SuggestionOpened.objects.get().kind == SuggestionOpened.Kind.KNOWN_ISSUE
    elsewhere = login(Client(), outsider)  # a practice that does not use the product
    assert (
        "Prescriptions print blank"
        not in elsewhere.get(SUGGESTIONS, {"summary": "blank prescriptions"}).content.decode()
    )
    assert elsewhere.post(OPEN, {"offer": f"known_issue:{issue.pk}"}).status_code == 400
