"""Account requests: a practice member asks for an account, a desk agent approves or rejects it."""

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from servicedesk.outbox import queue_on_commit

from .identity import login_identity
from .models import AccountRequest, Contract, SupportCalendar, User, calendar_of
from .tasks import (
    send_account_rejected_email,
    send_account_request_desk_notice,
    send_account_request_received_email,
    send_set_password_email,
)


class AccountRequestError(Exception):
    """A request that cannot be decided as asked; the message is for the agent."""


def account_request_submit(*, practice, full_name, email, phone, job_role):
    """Record a request for a portal account, acknowledge it to the requester by email and tell the desk's
    inbox; None when nothing was recorded. An email that already has an account or an open request gets no
    second request, and the caller shows the same acknowledgement either way, so the form reveals nothing
    about who is registered."""
    email = login_identity(email)
    if User.objects.filter(email__iexact=email).exists():
        return None
    try:
        with transaction.atomic():
            req = AccountRequest.objects.create(
                practice=practice, full_name=full_name, email=email, phone=phone, job_role=job_role
            )
            # Only a recorded request is acknowledged: one email per open request, however often the form
            # is sent, and none to an address that already has an account.
            queue_on_commit(send_account_request_received_email, req.pk)
            queue_on_commit(send_account_request_desk_notice, req.pk)
            return req
    except IntegrityError:  # an open request for this email already exists
        return None


def _lock_pending(account_request):
    req = AccountRequest.objects.select_for_update().get(pk=account_request.pk)
    if req.status != AccountRequest.Status.PENDING:
        raise AccountRequestError(
            f"The request from {req.email} was already {req.get_status_display().lower()}."
        )
    return req


def _record_decision(req, status, actor, **fields):
    fields.update(status=status, decided_at=timezone.now(), decided_by=actor)
    for name, value in fields.items():
        setattr(req, name, value)
    req.save(update_fields=list(fields))


def account_request_approve(account_request, *, actor):
    """Create the user for a pending request and email them a one-time link to set a password (no password
    is ever sent)."""
    with transaction.atomic():
        req = _lock_pending(account_request)
        if User.objects.filter(email__iexact=req.email).exists():
            raise AccountRequestError(f"An account for {req.email} already exists.")
        # No password: an unusable one until the user sets theirs through the emailed link.
        user = User.objects.create_user(
            req.email, full_name=req.full_name, phone=req.phone, job_role=req.job_role, practice=req.practice
        )
        _record_decision(req, AccountRequest.Status.APPROVED, actor, user=user)
        queue_on_commit(send_set_password_email, user.pk)
    return user


def account_request_reject(account_request, *, actor, reason=""):
    """Refuse a pending request and tell the requester, with the agent's reason."""
    with transaction.atomic():
        req = _lock_pending(account_request)
        _record_decision(req, AccountRequest.Status.REJECTED, actor, rejection_reason=reason)
        queue_on_commit(send_account_rejected_email, req.pk)
    return req


def support_calendar_for(contract_id):
    """The support-hours calendar an SLA clock of this contract (or of none) runs on: the contract's own,
    else the standard one. One query reads both with their hours, the contract's own first (False sorts
    before True); a calendar without hours comes as one row whose hours are None."""
    own = Q(pk__in=Contract.objects.filter(pk=contract_id).values("support_calendar"))
    rows = list(
        SupportCalendar.objects.filter(own | Q(is_standard=True))
        .order_by("is_standard", "pk")
        .values_list(
            "pk",
            "closed_on_english_holidays",
            "closed_on_irish_holidays",
            "hours__weekday",
            "hours__opens",
            "hours__closes",
        )
    )
    if not rows:
        raise SupportCalendar.DoesNotExist("There is no standard support calendar.")
    chosen, english, irish = rows[0][:3]
    spans = [row[3:] for row in rows if row[0] == chosen and row[3] is not None]
    return calendar_of(spans, english, irish)
