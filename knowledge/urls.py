from django.urls import path

from . import views

app_name = "knowledge"
urlpatterns = [
    path("", views.article_list, name="list"),
    # Before the articles' own addresses: "suggestions" is therefore no article's slug (ArticleForm).
    path("suggestions/", views.suggestions, name="suggestions"),
    path("suggestions/open/", views.suggestion_open, name="suggestion_open"),
    path("<slug:slug>/", views.article_detail, name="article"),
]
