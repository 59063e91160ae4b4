"""The URL sweep shared by the security tests: every pattern of the URL configuration, who may use it,
and how to fill its parameters with real objects.

The sweeps (access across practices, unauthenticated access, CSRF and changes by GET) take their cases
from `ROUTES`, walked from `get_resolver()`, so a pattern added to any urls.py, or a model registered in
admin, is swept as soon as it exists. `spec()` and `kwargs_for()` fail the test of a pattern this module
does not know, so that no URL is skipped silently: give a new portal pattern an entry in `PORTAL` below
(and, if it takes a parameter, a filler in `kwargs_for`).
"""

import re
from dataclasses import dataclass
from datetime import date

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver, resolve
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from escalation.models import EscalationLevel
from escalation.services import incident_escalate
from incidents import services
from incidents.attachments import check_uploads
from incidents.known_issues import known_issue_declare
from incidents.models import Attachment, Channel, Incident, KnownIssue
from incidents.tasks import check_screenshot
from surveys.models import Invitation, SurveyRound
from surveys.services import send_invitation
from tests.factories import IncidentFactory, ProductFactory, SiteFactory, incident_form_data
from tests.incidents.test_attachment_checks import PNG

# --- Who may use a pattern -------------------------------------------------------------------------

PUBLIC = "public"  # anyone, signed in or not; no object in the URL
SIGNED_IN = "signed in"  # any signed-in user; no object in the URL (or only the user's own things)
STAFF = "staff"  # staff holding a permission or a ladder level; no object in the URL
PRACTICE_OBJECT = "practice object"  # an incident of the user's own practice, or one of its files
LADDER_OBJECT = "ladder object"  # an incident escalated to one of the user's ladder levels
TOKEN = "token"  # the secret token from an email is the credential, whoever holds it
ADMIN = "admin"  # Django admin: active staff only, each model by its permissions


@dataclass(frozen=True)
class Route:
    pattern: str  # the whole pattern as the resolver joins it, e.g. "incidents/<str:reference>/notes/"
    name: str  # "incidents:add_note"; "" for admin's unnamed patterns
    params: tuple
    admin: bool  # served by the admin site

    def __str__(self):
        return self.pattern


@dataclass(frozen=True)
class Spec:
    access: str
    why: str
    post_only: bool = False  # GET answers 405 Method Not Allowed
    changes: bool = False  # a POST changes what is stored, signs in or out, or sends email


# Every portal (non-admin) pattern, by name. An entry says what kind of access it needs and why.
PORTAL = {
    # Public pages: the allow-list of what an anonymous visitor may see.
    "home": Spec(PUBLIC, "the landing page for a visitor; a signed-in user is sent to their start page"),
    "signed_out": Spec(PUBLIC, "the 'you have signed out' page"),
    "healthz": Spec(PUBLIC, "load balancers and monitoring; says only ok or database unavailable"),
    "contact": Spec(PUBLIC, "the desk's numbers and the escalation contacts, for people who cannot sign in"),
    "login": Spec(PUBLIC, "signing in", changes=True),
    "logout": Spec(PUBLIC, "signing out; harmless when nobody is signed in", post_only=True, changes=True),
    "register": Spec(PUBLIC, "asking for an account", changes=True),
    "register_done": Spec(PUBLIC, "the 'request received' page after registering"),
    "password_reset": Spec(
        PUBLIC, "asking for a reset link (answers the same for any address)", changes=True
    ),
    "password_reset_done": Spec(PUBLIC, "the 'check your email' page"),
    "password_reset_complete": Spec(PUBLIC, "the 'password set' page"),
    "surveys:thanks": Spec(PUBLIC, "the page after answering a survey"),
    "help": Spec(
        PUBLIC, "the portal guide: how to log and follow incidents, for people not yet signed in too"
    ),
    # Signed in, no object: the user's own practice or account is implied.
    "incidents:list": Spec(SIGNED_IN, "the user's own practice's incidents"),
    "known_issues:list": Spec(SIGNED_IN, "the known issues of the products the user's own practice uses"),
    "incidents:new": Spec(SIGNED_IN, "logging an incident for the user's own practice", changes=True),
    "incidents:practice_remote_access": Spec(
        SIGNED_IN, "the user's own practice's remote-access details", changes=True
    ),
    "password_change": Spec(SIGNED_IN, "the user's own password", changes=True),
    "your_service": Spec(SIGNED_IN, "the user's own practice's contract: hours, targets, ladder"),
    "password_change_done": Spec(SIGNED_IN, "the 'password changed' page"),
    "knowledge:list": Spec(
        SIGNED_IN, "the help articles written for every practice (for the desk, its own too)"
    ),
    "knowledge:article": Spec(
        SIGNED_IN, "a help article written for every practice (the desk's own are not found by practices)"
    ),
    "knowledge:suggestions": Spec(
        SIGNED_IN, "the log form's offers of help articles for a summary (practices: their articles only)"
    ),
    "knowledge:suggestion_open": Spec(
        SIGNED_IN, "recording that the user opened an offer, then on to it", post_only=True, changes=True
    ),
    "email_settings": Spec(SIGNED_IN, "the user's own choice of emails", changes=True),
    "two_factor": Spec(SIGNED_IN, "the staff second factor for the user's own account", changes=True),
    # Staff only, no object.
    "escalation:queue": Spec(STAFF, "the queues of the user's own ladder levels"),
    "reports": Spec(STAFF, "the monthly reports and their CSV, for staff holding servicedesk.view_reports"),
    "surveys:results": Spec(STAFF, "survey results, for staff holding surveys.view_response"),
    "surveys:results_csv": Spec(STAFF, "survey results as CSV, for staff holding surveys.view_response"),
    # An object of one practice in the path.
    "incidents:detail": Spec(PRACTICE_OBJECT, "an incident"),
    "incidents:complete_details": Spec(
        PRACTICE_OBJECT, "completing the checklist of an emailed incident", changes=True
    ),
    "incidents:add_note": Spec(PRACTICE_OBJECT, "a note on an incident", post_only=True, changes=True),
    "incidents:request_progress": Spec(PRACTICE_OBJECT, "chasing an incident", post_only=True, changes=True),
    "incidents:confirm": Spec(PRACTICE_OBJECT, "confirming a resolution", post_only=True, changes=True),
    "incidents:reject": Spec(PRACTICE_OBJECT, "rejecting a resolution", post_only=True, changes=True),
    "incidents:close": Spec(PRACTICE_OBJECT, "closing an incident", post_only=True, changes=True),
    "escalation:ask": Spec(PRACTICE_OBJECT, "asking for escalation", post_only=True, changes=True),
    "incidents:attachment": Spec(PRACTICE_OBJECT, "a file of an incident"),
    "incidents:attachment_thumbnail": Spec(PRACTICE_OBJECT, "a re-encoded thumbnail of an incident's image"),
    "incidents:attachment_large": Spec(PRACTICE_OBJECT, "a re-encoded larger copy of an incident's image"),
    "incidents:attachment_confirm": Spec(
        PRACTICE_OBJECT, "confirming that a held screenshot shows no patient data", changes=True
    ),
    "incidents:attachment_redact": Spec(
        PRACTICE_OBJECT, "replacing a held screenshot with a redacted copy", changes=True
    ),
    "incidents:reopen": Spec(PRACTICE_OBJECT, "reopening a closed incident", post_only=True, changes=True),
    "incidents:follow": Spec(PRACTICE_OBJECT, "following an incident", post_only=True, changes=True),
    "incidents:remote_access": Spec(
        PRACTICE_OBJECT, "changing an incident's remote access", post_only=True, changes=True
    ),
    # A known issue is seen only by the practices that use its product (incidents.known_issues.visible_to).
    "known_issues:detail": Spec(PRACTICE_OBJECT, "a known issue of a product the practice uses"),
    "known_issues:affects_us": Spec(
        PRACTICE_OBJECT, "logging an incident linked to a known issue", post_only=True, changes=True
    ),
    # An incident at the user's ladder level in the path.
    "escalation:acknowledge": Spec(LADDER_OBJECT, "taking an escalation on", post_only=True, changes=True),
    # Bearer tokens: whoever holds the emailed link may use it, signed in or not, whatever their practice.
    "set_password": Spec(TOKEN, "the one-time set-password link emailed on approval", changes=True),
    "password_reset_confirm": Spec(TOKEN, "the one-time password-reset link", changes=True),
    "surveys:answer": Spec(TOKEN, "the survey link emailed to one customer", changes=True),
}

# Admin's own views that change something by POST only (GET answers 405), by name. Every other admin pattern
# is Django's (a page, or a form that posts back to itself) or a page of ours that shows a form first.
ADMIN_POST_ONLY = {
    "admin:accounts_accountrequest_approve": "approving an account request (the request's Approve button)",
}

# Admin's parameters, filled by kwargs_for (any other parameter fails the sweep until it is taught here).
ADMIN_PARAMS = {
    "object_id",
    "pk",
    "event_id",
    "attachment_id",
    "action",
    "content_type_id",
    "id",
    "app_label",
    "url",
    "number",
}


def _walk(resolver, prefix="", namespace="", params=(), in_admin=False):
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if hasattr(entry.pattern, "converters") and entry.pattern.converters:
            own = tuple(entry.pattern.converters)
        else:
            own = tuple(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from _walk(entry, pattern, inner, params + own, in_admin or entry.app_name == "admin")
        else:
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            yield Route(pattern, name, params + own, in_admin)


def routes():
    """Every reachable pattern once, in resolution order (a pattern shadowed by an earlier one is left
    out: django.contrib.auth.urls repeats login/ and logout/, which accounts.urls answers first)."""
    found = {}
    for route in _walk(get_resolver()):
        found.setdefault(route.pattern, route)
    return list(found.values())


ROUTES = routes()


def _admin_spec(route):
    if route.name in ADMIN_POST_ONLY:
        return Spec(ADMIN, ADMIN_POST_ONLY[route.name], post_only=True, changes=True)
    return Spec(ADMIN, "Django admin")


def spec(route):
    """What the pattern needs, or a failed test for a pattern the sweep does not know."""
    if route.admin:
        return _admin_spec(route)
    if route.name not in PORTAL:
        pytest.fail(
            f"The URL pattern {route.pattern!r} (name {route.name!r}) is not in tests/security/url_sweep.py "
            "PORTAL: say what access it needs (and how to fill its parameters) so that the security "
            "sweeps cover it."
        )
    return PORTAL[route.name]


def known_spec(route):
    """spec() for collecting cases: None for an unknown pattern (its own test then fails)."""
    return PORTAL.get(route.name) if not route.admin else _admin_spec(route)


def of_access(*kinds):
    return [route for route in ROUTES if (s := known_spec(route)) is not None and s.access in kinds]


def admin_routes():
    return [route for route in ROUTES if route.admin]


# --- The objects a URL points at --------------------------------------------------------------------

UNKNOWN_PK = 987654321


def ensure_ladder():
    """The seeded escalation ladder. Data migrations run once for the test database, and a transactional
    test elsewhere may have emptied the tables since, so seed again if needed."""
    import importlib

    importlib.import_module("escalation.migrations.0004_standard_ladder").create(apps, None)


@dataclass
class World:
    """One practice's things that URLs and forms point at."""

    user: object  # a member of the practice, the reporter of `incident`
    agent: object
    incident: Incident  # resolved, escalated to the first ladder level: every portal action is open to it
    note: object  # the practice's public note on it
    attachment: Attachment  # on that public note
    internal_attachment: Attachment  # on an internal desk note: never shown to the practice
    invitation: Invitation  # a survey link emailed to the user, still open
    known_issue: KnownIssue  # severe, of the product only this practice uses; no incident linked yet
    secrets: tuple  # text that only this practice's people may read

    @property
    def practice(self):
        return self.user.practice


def build_world(user, agent, label):
    """A resolved incident of `user`'s practice, which came by email (so that its checklist may still be
    completed), with a public note and file, an internal note and file, a survey invitation, remote-access
    details, and an escalation to the first ladder level."""
    ensure_ladder()
    summary = f"Confidential summary of {label}"
    note_text = f"Public note of {label}"
    internal_text = f"Internal desk note about {label}"
    remote = f"AnyDesk 555 {label} password Hunter2-{label}"
    incident = IncidentFactory(
        reporter=user,
        channel=Channel.EMAIL,
        product=ProductFactory(name=f"Product used by {label}"),
        summary=summary,
        remote_access_allowed=True,
        remote_access_details=remote,
    )
    services.incident_verify(incident, actor=agent)
    services.incident_start_investigation(incident, actor=agent)
    services.incident_resolve(incident, actor=agent, resolution="Restarted the print spooler")
    incident = incident_escalate(incident, actor=agent, reason="Practice chasing")
    note = services.incident_add_note(
        incident,
        actor=user,
        text=note_text,
        uploads=check_uploads([SimpleUploadedFile(f"{label}.png", PNG, content_type="image/png")]),
    )
    internal = services.incident_add_note(
        incident,
        actor=agent,
        text=internal_text,
        public=False,
        uploads=check_uploads([SimpleUploadedFile("desk.log", b"desk only\n", content_type="text/plain")]),
    )
    survey_round, _ = SurveyRound.objects.get_or_create(
        month=date(2026, 10, 1),
        defaults={"round_date": date(2026, 11, 1), "seed": 1, "population": 1, "eligible_count": 1},
    )
    check_screenshot(note.attachments.get().pk)  # held, so that the practice may redact or confirm it
    invitation = Invitation.objects.create(round=survey_round, customer=user, incident=incident)
    send_invitation(invitation.pk)
    invitation.refresh_from_db()
    incident.refresh_from_db()
    known_issue = known_issue_declare(
        actor=agent, product=incident.product, title=f"Known issue of {label}", symptoms="Blank prints",
        severity=2,
    )  # fmt: skip
    if apps.is_installed("django_otp.plugins.otp_totp"):  # the agent's authenticator, for admin's pages
        apps.get_model("otp_totp", "TOTPDevice").objects.create(user=agent, name="Phone", confirmed=True)
    help_article(agent)  # made now, so that a sweep's own posts (an offer opened) change nothing else
    return World(
        user=user,
        agent=agent,
        incident=incident,
        note=note,
        attachment=note.attachments.get(),
        internal_attachment=internal.attachments.get(),
        invitation=invitation,
        known_issue=known_issue,
        secrets=(incident.reference, summary, note_text, internal_text, remote, known_issue.title),
    )


def help_article(author):
    """A published help article for practices (every practice may read it; it belongs to none)."""
    from knowledge.models import Article
    from knowledge.services import article_save

    article = Article.objects.filter(slug="printing-prescriptions").first()
    if article is None:
        article = Article(title="Printing prescriptions", slug="printing-prescriptions", published=True)
        article.body = "Check that the printer tray holds FP10 paper."
        article_save(article, actor=author)
    return article


ATTACHMENT_ROUTES = (
    "incidents:attachment",
    "incidents:attachment_thumbnail",
    "incidents:attachment_large",
    "incidents:attachment_confirm",
    "incidents:attachment_redact",
)


def kwargs_for(route, world, *, unknown=False, valid_tokens=True):
    """The pattern's parameters filled with `world`'s objects; `unknown=True` fills the object parameters
    with ones that do not exist (an answer to compare with), `valid_tokens=False` the tokens with wrong
    ones."""
    if route.admin:
        return _admin_kwargs(route, world, unknown)
    name = route.name
    incident = world.incident
    reference = f"{incident.reference[:-6]}999999" if unknown else incident.reference
    if name in ATTACHMENT_ROUTES:
        return {"reference": reference, "pk": UNKNOWN_PK if unknown else world.attachment.pk}
    if route.params == ("reference",):  # the incident's pages and actions, escalation:ask among them
        return {"reference": reference}
    if name in ("known_issues:detail", "known_issues:affects_us"):
        return {"pk": UNKNOWN_PK if unknown else world.known_issue.pk}
    if name == "escalation:acknowledge":
        return {"pk": UNKNOWN_PK if unknown else incident.pk}
    if name in ("set_password", "password_reset_confirm"):
        from django.contrib.auth.tokens import default_token_generator

        token = default_token_generator.make_token(world.user) if valid_tokens else "cnq-0123456789abcdef"
        return {"uidb64": urlsafe_base64_encode(force_bytes(world.user.pk)), "token": token}
    if name == "surveys:answer":
        return {"token": world.invitation.token if valid_tokens else "not-a-token-anyone-was-sent"}
    if name == "knowledge:article":
        return {"slug": "no-such-article" if unknown else help_article(world.agent).slug}
    if route.params:
        pytest.fail(f"tests/security/url_sweep.py kwargs_for does not know how to fill {route.pattern!r}.")
    return {}


_ADMIN_MODEL = re.compile(r"^admin/(\w+)/(\w+)/")


def _admin_object(route, world):
    """The object an admin pattern's object_id names: the world's own where it has one of that model."""
    match = _ADMIN_MODEL.match(route.pattern)
    try:
        model = apps.get_model(*match.groups()) if match else Incident
    except LookupError:
        model = Incident  # admin/r/<content_type_id>/<object_id>/ (view on site)
    own = {
        Incident: world.incident,
        type(world.user): world.user,
        type(world.practice): world.practice,
        Invitation: world.invitation,
        EscalationLevel: world.incident.escalation_level,
        KnownIssue: world.known_issue,
    }
    if model in own:
        return own[model]
    return model._default_manager.order_by("pk").first()


def _admin_kwargs(route, world, unknown):
    for param in route.params:
        if param not in ADMIN_PARAMS:
            pytest.fail(f"url_sweep.ADMIN_PARAMS does not know how to fill {param!r} in {route.pattern!r}.")
    obj = _admin_object(route, world)
    fillers = {
        "object_id": lambda: UNKNOWN_PK if unknown or obj is None else obj.pk,
        "pk": lambda: UNKNOWN_PK if unknown or obj is None else obj.pk,
        "event_id": lambda: UNKNOWN_PK if unknown else world.note.pk,
        "attachment_id": lambda: UNKNOWN_PK if unknown else world.attachment.pk,
        "action": lambda: "note",
        "content_type_id": lambda: ContentType.objects.get_for_model(Incident).pk,
        "id": lambda: UNKNOWN_PK if unknown else world.user.pk,
        "app_label": lambda: "incidents",
        "url": lambda: "no-such-admin-page/",
        "number": lambda: UNKNOWN_PK if unknown else 1,  # an article's revision (its first)
    }
    return {param: fillers[param]() for param in route.params}


def path_for(route, world, replace=None, **options):
    """The URL path of `route` filled for `world` (`replace` puts other, already URL-encoded, values in
    some parameters); checked to resolve to the same pattern."""
    values = {**kwargs_for(route, world, **options), **(replace or {})}
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), route.pattern)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), path)
    path = "/" + path.replace("^", "").replace("$", "")
    reached = resolve(path).route  # (a regular expression's "^" is left out of it)
    assert reached.replace("^", "") == route.pattern.replace("^", ""), f"{path} reaches {reached}"
    return path


# --- Posting --------------------------------------------------------------------------------------------

REASONS = {
    "incidents:reject": "reject",
    "incidents:close": "close",
    "escalation:ask": "escalate",
    "incidents:reopen": "reopen",
}


# What is posted to the patterns that need no object of the world in their form.
FIXED_POSTS = {
    "incidents:add_note": {"text": "A note posted by the security sweep"},
    "incidents:follow": {"follow": "1"},
    "email_settings": {"email_updates": "needs_me"},
    "incidents:remote_access": {
        "remote-allowed": "on",
        "remote-details": "TeamViewer 1 2 3, posted by the sweep",
    },
    "incidents:practice_remote_access": {"details": "TeamViewer 4 5 6, posted by the security sweep"},
}


def post_data(route, world):
    """What a person allowed to use the pattern would post to it: enough for the change to succeed."""
    name = route.name
    if name in REASONS:
        return {f"{REASONS[name]}-reason": "Posted by the security sweep"}
    if name in FIXED_POSTS:
        return FIXED_POSTS[name]
    if name == "incidents:attachment_confirm":
        return {"looked": "on"}
    if name == "knowledge:suggestion_open":
        return {"offer": f"article:{help_article(world.agent).pk}"}
    if name == "incidents:attachment_redact":
        return {"files": SimpleUploadedFile("redacted.png", PNG, content_type="image/png")}
    if name == "incidents:new":
        return incident_form_data(world.user, world.incident.product)
    if name == "incidents:complete_details":
        return {
            name: value
            for name, value in incident_form_data(world.user, world.incident.product).items()
            if name != "severity"
        }
    if route.admin and "act/<str:action>" in route.pattern:
        return {"text": "A desk note posted by the security sweep", "public": "on"}
    if route.admin and ("purge-event" in route.pattern or "purge-attachment" in route.pattern):
        return {"reason": "Posted by the security sweep"}
    return {}


def other_site(practice, name="Elsewhere branch"):
    return SiteFactory(practice=practice, name=name)


# --- What changed ----------------------------------------------------------------------------------

# Rows that change by design on requests that change nothing a person would notice: sessions (signing
# in, the idle clock) and django-axes' record of sign-in attempts.
_NOT_STATE = {Session._meta.label_lower} | {
    f"axes.{name}" for name in ("accessattempt", "accesslog", "accessfailurelog", "accessattemptexpiration")
}


def database_state():
    """Every row of every table that holds the service desk's data, and the number of emails sent."""
    state = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in _NOT_STATE or not model._meta.managed:
            continue
        state[label] = list(model._default_manager.order_by("pk").values_list())
    state["emails sent"] = len(mail.outbox)
    return state


def changes_between(before, after):
    """The tables whose rows differ, for a readable assertion message."""
    return sorted(label for label in before if before[label] != after.get(label))


def body(response):
    """The bytes of the answer. A download is read to the end, which closes its file (the test client
    closes a streamed answer once it is exhausted), and kept so that it can be read again."""
    if response.streaming:
        content = b"".join(response.streaming_content)
        response.streaming_content = [content]
        return content
    return response.content


def page_text(response):
    """The body without the per-request CSRF token, for comparing two answers."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", body(response)).decode(errors="replace")
