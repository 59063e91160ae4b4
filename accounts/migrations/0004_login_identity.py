"""Store every user's address as its sign-in identity (accounts.identity.login_identity).

Sign-in now looks an address up exactly as its identity, so an address stored in another form (a
compatibility character such as a fullwidth letter, a capital, a space) could no longer sign in. New
addresses are stored as identities; this rewrites the old ones. An address whose identity another account
already has is left as it is (neither could be told apart at sign-in before, either).
"""

import unicodedata

from django.db import migrations


def _identity(email):
    # accounts.identity.login_identity as of this migration, so that a later change cannot alter it.
    return unicodedata.normalize("NFKC", email).strip().lower()


def store_identities(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    users = list(User.objects.only("pk", "email"))
    # Which account holds each lower-cased address, as the unique constraint (Lower("email")) sees it.
    holder = {user.email.lower(): user.pk for user in users}
    for user in users:
        identity = _identity(user.email)
        if identity == user.email or holder.get(identity, user.pk) != user.pk:
            continue
        holder.pop(user.email.lower(), None)
        holder[identity] = user.pk
        User.objects.filter(pk=user.pk).update(email=identity)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_standard_calendars")]

    operations = [migrations.RunPython(store_identities, migrations.RunPython.noop)]
