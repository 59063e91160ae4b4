from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = "Knowledge base"

    def ready(self):
        # Canned replies (incidents) may quote an article as {article:slug}; incidents knows nothing of this
        # app, so the app tells it how to check and fill such a placeholder.
        from incidents.models import CannedReply

        from .services import article_quote

        CannedReply.QUOTES["article"] = article_quote
