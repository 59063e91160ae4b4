"""Search of help articles, the same engine as the incidents' (incidents.search): every word typed must
appear in the title or the body, in any order, each matching the start of a word ("print" finds
"printing"). PostgreSQL answers with full-text search ('simple' configuration) from an expression index
(migration 0002); SQLite with a regular expression per word and field.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q

from incidents.search import excerpt, highlight, words

from .models import Article, Audience

# The document as migration 0002 indexes it: change both together.
DOCUMENT = SearchVector("title", "body", config="simple")
TITLE = SearchVector("title", config="simple")

__all__ = ["excerpt", "highlight", "matching_articles", "search", "visible_articles", "words"]


def visible_articles(*, for_practice=True):
    """Published articles; for a practice, only those written for practices."""
    articles = Article.objects.filter(published=True)
    if for_practice:
        articles = articles.filter(audience=Audience.PRACTICES)
    return articles


def search(articles, found):
    """`articles` narrowed to those containing every word of `found` (from words()), best first: those
    with the words in the title before the others, then by title. None when `found` is empty."""
    if not found:
        return articles.none()
    if connection.vendor == "postgresql":
        query = SearchQuery(" & ".join(f"{word}:*" for word in found), config="simple", search_type="raw")
        return (
            articles.annotate(search_document=DOCUMENT)
            .filter(search_document=query)
            .annotate(title_rank=SearchRank(TITLE, query))
            .order_by("-title_rank", "title", "pk")
        )
    for word in found:
        pattern = rf"\b{re.escape(word)}"
        articles = articles.filter(Q(title__iregex=pattern) | Q(body__iregex=pattern))
    return articles.order_by("title", "pk")


def matching_articles(text, *, for_practice=True, limit=5):
    """The published articles (for a practice: those written for practices) containing every word of
    `text`, best first, at most `limit`; each with `title_marked` (the title, its matches in <mark>).
    For the log form's "Is it one of these?" offers."""
    found = words(text)
    if not found:
        return []
    articles = list(search(visible_articles(for_practice=for_practice), found).only("title", "slug")[:limit])
    for article in articles:
        article.title_marked = highlight(article.title, found)
    return articles
