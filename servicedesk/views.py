from django.db import DatabaseError, connection
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from accounts.models import User
from escalation.models import EscalationLevel


@never_cache
def healthz(request):
    """200 when the database answers, 503 when it does not. For load balancers and monitoring."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


def contact(request):
    """The desk's numbers and hours (configuration) and the escalation contacts (the ladder)."""
    active = User.objects.filter(is_active=True).order_by("full_name")
    levels = EscalationLevel.objects.prefetch_related(Prefetch("contacts", queryset=active))
    return render(request, "contact.html", {"levels": levels})


def home(request):
    """Practice staff start at their incidents, desk staff in admin; anyone else reads what the portal is
    for, when to telephone instead, and how to get an account or sign in."""
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    return redirect("admin:index" if request.user.is_staff else "incidents:list")
