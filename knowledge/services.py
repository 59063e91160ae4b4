"""The one writer of help articles, and what canned replies need of them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from .models import Article, ArticleRevision, Audience


def article_save(article, *, actor):
    """Save `article` (new or changed; its products are saved by the caller, as admin does after this) and
    write its next revision: the title and body as saved, by `actor`. Returns the revision."""
    with transaction.atomic():
        if article.pk is None:
            article.created_by = actor
        else:
            # Lock the article, so that two saves at once take numbers one after the other.
            Article.objects.select_for_update().filter(pk=article.pk).first()
        article.updated_by = actor
        article.save()
        last = article.revisions.aggregate(last=Max("number"))["last"] or 0
        return ArticleRevision.objects.create(
            article=article, number=last + 1, title=article.title, body=article.body, changed_by=actor
        )


def article_quote(slug):
    """What a canned reply's {article:slug} becomes: the article's title and its full address. Refuses, by
    name, a slug that names no published article for practices (a practice could not open the link)."""
    article = Article.objects.filter(slug=slug, published=True).only("title", "slug", "audience").first()
    if article is None:
        raise ValidationError(f"“{{article:{slug}}}” names no published article. Check the article’s slug.")
    if article.audience != Audience.PRACTICES:
        raise ValidationError(
            f"“{{article:{slug}}}” is a desk-only article: a practice could not open it. Quote an article "
            "for practices, or remove it."
        )
    return f"{article.title}: {settings.SITE_URL}{article.get_absolute_url()}"
