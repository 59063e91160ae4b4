"""Help articles written by the desk, in Markdown, for practices or for the desk only, with every version
kept (ArticleRevision). Written only through knowledge.services.article_save."""

from django.conf import settings
from django.db import models
from django.urls import reverse


class Audience(models.TextChoices):
    PRACTICES = "practices", "Practices (and the desk)"
    DESK = "desk", "Desk only"


class Article(models.Model):
    title = models.CharField(max_length=150)
    slug = models.SlugField(
        max_length=80,
        unique=True,
        help_text="The end of the article's address, e.g. printing-prescriptions: lower-case letters, digits "
        "and hyphens. Canned replies quote the article as {article:slug}.",
    )
    body = models.TextField(
        help_text="Markdown: # Heading, **bold**, *italic*, - list items, 1. numbered steps, "
        "[text](https://…) links, `code`, tables. No HTML and no images."
    )
    products = models.ManyToManyField(
        "incidents.Product",
        blank=True,
        related_name="articles",
        help_text="The products it is about; none means every product.",
    )
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.PRACTICES)
    published = models.BooleanField(
        default=False, help_text="Only published articles are shown on the portal or quoted."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, editable=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(audience__in=Audience.values), name="article_audience_valid"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("knowledge:article", args=[self.slug])

    @property
    def for_practices(self):
        return self.audience == Audience.PRACTICES


class ArticleRevision(models.Model):
    """One saved version of an article: its number (1 for the first), its text, and who saved it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=150)
    body = models.TextField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="one_revision_per_number"),
        ]

    def __str__(self):
        return f"{self.article.title}: version {self.number}"


class SuggestionOpened(models.Model):
    """An offer of the log form's "Is it one of these?" opened: by whom, for which practice, what
    (`kind` and `object_id`: an article's or a known issue's pk) and when. Read by the reports'
    deflection figure (servicedesk.reports): an opening its user did not follow by logging an incident."""

    class Kind(models.TextChoices):
        ARTICLE = "article", "Help article"
        KNOWN_ISSUE = "known_issue", "Known issue"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    practice = models.ForeignKey(
        "accounts.Practice", on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField()
    opened_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["user", "opened_at"], name="suggestion_user_opened")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.object_id} opened by {self.user}"
