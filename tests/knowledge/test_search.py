"""knowledge.search.matching_articles: the lookup the log form's "Is it one of these?" offers will call."""

from knowledge.search import matching_articles
from tests.knowledge.conftest import make_article


def test_matching_articles_are_the_published_ones_for_practices_with_every_word(articles):
    found = matching_articles("TRAY print")

    assert [article.slug for article in found] == ["printing-prescriptions"]
    assert found[0].title_marked == "<mark>Printing</mark> prescriptions"


def test_the_desk_may_ask_for_its_own_articles_too(articles):
    assert [a.slug for a in matching_articles("spooler")] == []
    assert [a.slug for a in matching_articles("spooler", for_practice=False)] == ["resetting-a-print-server"]


def test_title_matches_come_first_and_the_limit_holds(editor):
    make_article(actor=editor, title="Scanning letters", slug="scanning", body="Use the printer's scanner.")
    make_article(actor=editor, title="A printer jams", slug="jams", body="Open the door.")
    for number in range(6):
        make_article(actor=editor, title=f"Another tip {number}", slug=f"tip-{number}", body="Printer tips.")

    found = matching_articles("printer", limit=3)

    assert [article.slug for article in found][0] == "jams"
    assert len(found) == 3


def test_nothing_typed_finds_nothing(articles):
    assert matching_articles("") == [] and matching_articles("  — ; ") == []
