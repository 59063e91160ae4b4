from celery import shared_task
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from servicedesk.lib.mail import send_templated_email
from servicedesk.outbox import EMAIL_TASK_OPTIONS

from .models import AccountRequest, User


def one_time_link(user, url_name):
    """The absolute one-time link to `url_name` (set or reset a password); it stops working once a
    password is set or after the timeout."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse(url_name, kwargs={"uidb64": uidb64, "token": token})


@shared_task(**EMAIL_TASK_OPTIONS)
def send_set_password_email(user_id):
    """Email an approved user the one-time link that lets them choose their password."""
    user = User.objects.select_related("practice").get(pk=user_id)
    context = {
        "user": user,
        "set_password_url": one_time_link(user, "set_password"),
        "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    send_templated_email("account_approved", [user.email], context)


@shared_task(**EMAIL_TASK_OPTIONS)
def send_account_rejected_email(request_id):
    """Tell a requester that their request for an account was refused, and why."""
    req = AccountRequest.objects.select_related("practice").get(pk=request_id)
    send_templated_email("account_rejected", [req.email], {"account_request": req})


@shared_task(**EMAIL_TASK_OPTIONS)
def send_account_request_received_email(request_id):
    """Tell a requester that their request for an account has arrived and what happens next."""
    req = AccountRequest.objects.select_related("practice").get(pk=request_id)
    send_templated_email("account_request_received", [req.email], {"account_request": req})


@shared_task(**EMAIL_TASK_OPTIONS)
def send_account_request_desk_notice(request_id):
    """Tell the desk's inbox that a request for an account waits for a decision, with its admin page."""
    req = AccountRequest.objects.select_related("practice").get(pk=request_id)
    context = {
        "account_request": req,
        "admin_url": settings.SITE_URL + reverse("admin:accounts_accountrequest_change", args=[req.pk]),
    }
    send_templated_email("account_request_desk", [settings.SERVICE_DESK_NOTIFY_EMAIL], context)


@shared_task(**EMAIL_TASK_OPTIONS)
def send_second_factor_enrolled_email(user_id):
    """Tell a staff member that an authenticator app was set up for their account: if it was not them,
    their password is known to someone else."""
    user = User.objects.get(pk=user_id)
    send_templated_email("second_factor_enrolled", [user.email], {"user": user})


@shared_task(**EMAIL_TASK_OPTIONS)
def send_password_reset_email(user_id):
    """The one-time link to choose a new password, made when the email is sent (never stored)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:  # deactivated since the request
        return
    context = {"user": user, "reset_url": one_time_link(user, "password_reset_confirm")}
    send_templated_email("password_reset", [user.email], context)
