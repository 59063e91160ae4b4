"""The log form's "Is it one of these?" (issue 19, "Before logging"): while a practice types the summary
of an incident, the practice's current known issues and the help articles that seem to match are offered
beside it, so that the practice may find its answer without logging.

offers() is the one entry point: the summary's significant words (incidents.search.words() less a short
stop list and words under three letters), articles containing all of them; failing that, articles
ranked by how many of the four longest words they contain. At most three offers in all.
"""

import re
from dataclasses import dataclass

from incidents.known_issues import matching_known_issues
from incidents.search import WORD

from .models import Article, SuggestionOpened
from .search import highlight, matching_articles, search, visible_articles, words

LIMIT = 3
FALLBACK_WORDS = 4
MIN_LENGTH = 3
# Words too common to say what a problem is about; anything under three letters is dropped as well.
STOP_WORDS = frozenset(
    """
    about after again all also and any are around because been before being but can cannot could did
    does doesn doing don down each even every for from get gets getting got had has have having her here
    him his how into its just keep keeps like more most not now off once only other our out over same
    she should some still such than that the their them then there these they this those through too
    trying under until very was wasn way were what when where which while who why will with won would
    you your
    """.split()  # noqa: SIM905 - a paragraph of words reads better than a list
)


@dataclass(frozen=True)
class Offer:
    kind: str  # a SuggestionOpened.Kind value
    object_id: int
    title: str
    title_marked: str  # the title, escaped, its matching words in <mark>
    url: str  # where "Open" finally takes the user (after POSTing to knowledge:suggestion_open)


def significant_words(summary):
    """The words of `summary` worth looking for, in the order typed, each once (at most
    incidents.search.MAX_WORDS: the stop words are dropped before the count)."""
    kept = (word for word in WORD.findall(summary or "") if len(word) >= MIN_LENGTH)
    return words(" ".join(word for word in kept if word.lower() not in STOP_WORDS))


def _for_practice(user):
    return not user.is_staff


def _article_offers(found, *, for_practice):
    articles = matching_articles(" ".join(found), for_practice=for_practice, limit=LIMIT)
    if not articles and len(found) > 1:  # one word found nowhere is not worth asking again
        articles = _articles_matching_most(found, for_practice=for_practice)
    return [
        Offer(SuggestionOpened.Kind.ARTICLE, article.pk, article.title, article.title_marked,
              article.get_absolute_url())
        for article in articles
    ]  # fmt: skip


def _articles_matching_most(found, *, for_practice):
    """Articles containing at least one of the longest words, ranked by how many of them they contain,
    then by how many are in the title, then by title. One query per word (at most FALLBACK_WORDS), each
    the search's own (on PostgreSQL, from the index of migration 0002), counted here: asking the
    database to count the words per article had it work out every candidate's whole text again (about
    0.7 s at 10,000 articles, bench/articles_search.py)."""
    longest = sorted(found, key=len, reverse=True)[:FALLBACK_WORDS]
    visible = visible_articles(for_practice=for_practice)
    scores, articles = {}, {}
    for word in longest:
        for pk, title, slug in search(visible, [word]).order_by().values_list("pk", "title", "slug"):
            scores[pk] = scores.get(pk, 0) + 1
            articles[pk] = Article(pk=pk, title=title, slug=slug)
    starts = [re.compile(rf"\b{word}", re.IGNORECASE) for word in longest]

    def rank(pk):
        title = articles[pk].title
        return (-scores[pk], -sum(1 for start in starts if start.search(title)), title, pk)

    best = [articles[pk] for pk in sorted(scores, key=rank)[:LIMIT]]
    for article in best:
        article.title_marked = highlight(article.title, longest)
    return best


def offers(summary, *, user):
    """What to offer `user` for the `summary` typed so far: a list of Offer, best first, at most LIMIT."""
    found = significant_words(summary)
    if not found:
        return []
    for_practice = _for_practice(user)
    found_offers = []
    if for_practice and user.practice_id:  # the practice's current known issues first: they are the news
        for issue in matching_known_issues(found, practice=user.practice_id, limit=LIMIT):
            found_offers.append(
                Offer(SuggestionOpened.Kind.KNOWN_ISSUE, issue.pk, issue.title, highlight(issue.title, found),
                      issue.get_absolute_url())
            )  # fmt: skip
    found_offers += _article_offers(found, for_practice=for_practice)
    return found_offers[:LIMIT]
