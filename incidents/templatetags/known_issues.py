from django import template

from incidents.known_issues import banner_for

register = template.Library()


@register.inclusion_tag("incidents/known_issues/banner_items.html", takes_context=True)
def known_issue_banner(context):
    """The banner of severe known issues for a practice user's pages (incidents.known_issues.banner_for):
    one query, none for anyone else."""
    request = context.get("request")
    user = getattr(request, "user", None)
    practice_id = getattr(user, "practice_id", None) if user and user.is_authenticated else None
    return {"banner": banner_for(practice_id) if practice_id else [], "request": request}
