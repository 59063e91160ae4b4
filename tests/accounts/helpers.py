"""Helpers for the accounts tests: signing in through the real login page, reading links from emails."""

import re
from urllib.parse import urlsplit

from accounts.models import User

LOGIN_URL = "/accounts/login/"
ADMIN_LOGIN_URL = "/admin/login/"
REGISTER_URL = "/accounts/register/"
REGISTER_DONE_URL = "/accounts/register/done/"
ACCOUNT_REQUESTS_ADMIN_URL = "/admin/accounts/accountrequest/"

_CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


def sign_in(client, email, password, **extra):
    """Submit the login form as a person would."""
    return client.post(LOGIN_URL, {"username": email, "password": password}, **extra)


def admin_sign_in(client, email, password, **extra):
    """Submit admin's own sign-in form, as staff do when they open /admin/ signed out."""
    return client.post(ADMIN_LOGIN_URL, {"username": email, "password": password, "next": "/admin/"}, **extra)


def signed_in_email(client):
    """The email of the user the client's session belongs to, or None when nobody is signed in."""
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).email if user_id else None


def page_text(response, *echoed):
    """The page as a person reads it: the per-request CSRF token and any values they typed are masked."""
    content = _CSRF_INPUT.sub(b'name="csrfmiddlewaretoken" value="TOKEN"', response.content)
    for value in echoed:
        content = content.replace(value.encode(), b"ECHOED")
    return content.decode()


def link_path(body, path_prefix):
    """The path of the one absolute link in an email body that starts with path_prefix."""
    urls = re.findall(r"https?://[^\s\"<>]+", body)
    paths = [urlsplit(url).path for url in urls if urlsplit(url).path.startswith(path_prefix)]
    assert len(paths) == 1, f"expected one {path_prefix} link in the email, found {paths}"
    return paths[0]


def approve(client, *account_requests):
    """An agent ticks the requests in the admin changelist and runs the approve action."""
    return client.post(
        ACCOUNT_REQUESTS_ADMIN_URL,
        {"action": "approve", "_selected_action": [req.pk for req in account_requests]},
        follow=True,
    )


REJECTION_REASON = "We could not confirm that you work at this practice."


def reject(client, *account_requests, reason=REJECTION_REASON):
    """An agent ticks the requests, runs the reject action and gives the reason on the page it opens
    (that page itself: tests/accounts/test_request_decisions.py)."""
    return client.post(
        ACCOUNT_REQUESTS_ADMIN_URL,
        {
            "action": "reject",
            "_selected_action": [req.pk for req in account_requests],
            "post": "yes",
            "reason": reason,
        },
        follow=True,
    )


def page_messages(response):
    return [str(message) for message in response.context["messages"]]
