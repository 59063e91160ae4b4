"""When a user last saw their practice's incident list, for its "since your last visit" greeting.

A GET changes nothing stored (tests/security/test_csrf_and_get_changes.py), so opening the list only notes
the time in the session; signing out (a POST) keeps it on the user for their next session. A session that
ends without signing out keeps the older time: the next greeting then counts a little more as new, never
less.
"""

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .models import User

SESSION_KEY = "incident_list_seen"


def last_list_visit(request):
    """When the user last saw the list: earlier in this session, else as kept from their last session."""
    seen = parse_datetime(request.session.get(SESSION_KEY) or "")
    return seen or request.user.last_list_visit


def note_list_visit(request):
    request.session[SESSION_KEY] = timezone.now().isoformat()


def keep_list_visit(request):
    """On signing out: the session's last sight of the list, kept on the user."""
    if request.user.is_authenticated and (seen := parse_datetime(request.session.get(SESSION_KEY) or "")):
        User.objects.filter(pk=request.user.pk).update(last_list_visit=seen)
