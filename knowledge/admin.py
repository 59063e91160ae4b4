import difflib

from django import forms
from django.contrib import admin
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from servicedesk.lib.markdown import render

from .forms import ArticleForm
from .models import Article, ArticleRevision
from .services import article_save


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """Help articles: every save goes through knowledge.services.article_save, which keeps a revision."""

    form = ArticleForm
    list_display = ["title", "slug", "audience", "published", "updated_at", "updated_by"]
    list_filter = ["audience", "published", "products"]
    list_select_related = ["updated_by"]
    search_fields = ["title", "slug", "body"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["revision_history"]
    show_full_result_count = False

    class Media:
        css = {"all": ["knowledge/articles.css"]}

    def get_fields(self, request, obj=None):
        fields = [*ArticleForm.Meta.fields, "confirm_not_nhs_number", "nhs_numbers_shown"]
        return [*fields, "revision_history"] if obj is not None else fields

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "products":  # ticked boxes, each labelled: no two-box filter to learn
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        article_save(obj, actor=request.user)

    @admin.display(description="Revisions")
    def revision_history(self, article):
        """Each saved version, newest first: its number, who saved it and when, and a link to its text."""
        revisions = article.revisions.select_related("changed_by")
        rows = format_html_join(
            "",
            '<li><a href="{}">Version {}</a>, {} by {}</li>',
            (
                (
                    reverse("admin:knowledge_article_revision", args=[article.pk, revision.number]),
                    revision.number,
                    date_format(localtime(revision.changed_at), "j F Y, H:i"),
                    revision.changed_by.full_name if revision.changed_by else "an unknown person",
                )
                for revision in revisions
            ),
        )
        return format_html('<ol class="revision-list" reversed>{}</ol>', rows) if rows else "None yet."

    def get_urls(self):
        revision = path(
            "<path:object_id>/revisions/<int:number>/",
            self.admin_site.admin_view(self.revision_view),
            name="knowledge_article_revision",
        )
        return [revision, *super().get_urls()]

    def revision_view(self, request, object_id, number):
        """One old version: its text as written and as shown, and what changed from the version before."""
        article = self.get_object(request, object_id)
        if article is None or not self.has_view_or_change_permission(request, article):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        revision = get_object_or_404(
            ArticleRevision.objects.select_related("changed_by"), article=article, number=number
        )
        before = article.revisions.filter(number=number - 1).first()
        diff = None
        if before is not None:
            diff = list(
                difflib.unified_diff(
                    [before.title, *before.body.splitlines()],
                    [revision.title, *revision.body.splitlines()],
                    f"Version {before.number}",
                    f"Version {revision.number}",
                    lineterm="",
                )
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "article": article,
            "revision": revision,
            "rendered": render(revision.body),
            "diff": diff,
            "title": f"{article.title}: version {revision.number}",
        }
        return TemplateResponse(request, "admin/knowledge/article/revision.html", context)
