from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from accounts.models import User
from escalation.models import EscalationLevel
from escalation.services import name_contacts
from escalation.session import remember_ladder
from incidents.sla import sla_terms
from incidents.wording import severity_wordings
from servicedesk.lib.support_hours import closures, support_time_in_words, weekly_hours

# How far ahead "Your service" lists the days the desk is closed.
CLOSURES_AHEAD_DAYS = 183


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


def _ladder(contract, *, every_level=False):
    """The ladder's levels as a practice on `contract` reads them, each naming its people for that practice
    (the team leader for each product, the contract's liaison officer, else the general contacts). Only
    managed-service contracts have the managed-service rung, unless `every_level`."""
    active = User.objects.filter(is_active=True).order_by("full_name")
    levels = EscalationLevel.objects.prefetch_related(Prefetch("contacts", queryset=active))
    if not (every_level or (contract and contract.managed_service)):
        levels = levels.filter(managed_service_only=False)
    return name_contacts(list(levels), contract)


def _contract_of(user):
    practice = getattr(user, "practice", None)
    return practice.contract if practice else None


def help_guide(request):
    """The portal guide for practice staff, with screenshots and the tutorial video (`make guide`). The
    severities are in the words of the reader's contract, once signed in."""
    contract = _contract_of(request.user) if request.user.is_authenticated else None
    wordings = severity_wordings(contract.pk if contract else None)
    return render(request, "help/guide.html", {"severities": wordings.values(), "contract": contract})


@login_required
def your_service(request):
    """What the practice can expect of the desk under its own contract: hours, closures, SLA targets per
    severity and the escalation ladder. Desk staff without a practice see the standard terms."""
    practice = request.user.practice
    contract = _contract_of(request.user)
    calendar, targets = sla_terms(contract.pk if contract else None)
    severities = [
        {
            "wording": wording,
            "response": support_time_in_words(targets[severity][0]),
            "resolution": support_time_in_words(targets[severity][1]),
        }
        for severity, wording in severity_wordings(contract.pk if contract else None).items()
    ]
    context = {
        "practice": practice,
        "contract": contract,
        "hours": weekly_hours(calendar),
        "closures": closures(calendar, timezone.localdate(), CLOSURES_AHEAD_DAYS),
        "severities": severities,
        "levels": _ladder(contract),
    }
    return render(request, "help/your_service.html", context)


def contact(request):
    """The desk's numbers and hours (configuration) and the escalation contacts (the ladder): every level,
    named for the signed-in practice's contract; for anyone else, for no contract."""
    contract = _contract_of(request.user) if request.user.is_authenticated else None
    return render(request, "contact.html", {"levels": _ladder(contract, every_level=True)})


def home(request):
    """Where each person works, and so where signing in without a `next` of one's own lands (LoginView,
    the admin's sign-in, the second factor): practice staff at their incidents, the ladder's staff at their
    escalation queue, other desk staff in admin. Anyone else reads what the portal is for, when to
    telephone instead, and how to get an account or sign in."""
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    if not request.user.is_staff:
        return redirect("incidents:list")
    return redirect("escalation:queue" if remember_ladder(request) else "admin:index")
