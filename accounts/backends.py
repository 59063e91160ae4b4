"""Django's ModelBackend, loading the user's practice with the user and keeping permissions in the cache.

Every portal page names the user's practice in its header: loading it with the user saves each page a
query. Every staff page asks for the user's permissions, two queries through groups and content types
each time: they are kept in the cache (servicedesk.lib.cache_tokens) until any user, group or
permission assignment changes, when the signals below forget them all at once.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.dispatch import receiver

from servicedesk.lib.cache_tokens import cached, forget, forget_after_outage

UserModel = get_user_model()

PERMISSIONS_NAME = "auth:permissions"  # its cache token's name (also in the desk's cached incident list)
PERMISSIONS_SECONDS = 120  # at most this long out of date if a change could not be forgotten
forget_after_outage(PERMISSIONS_NAME)
# Saving only these fields changes no one's permissions (signing in saves last_login).
_NOT_PERMISSION_FIELDS = frozenset({"last_login", "password"})


class PracticeModelBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            user = UserModel._default_manager.select_related("practice").get(pk=user_id)
        except UserModel.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            read = super().get_all_permissions
            user_obj._perm_cache = cached(
                [PERMISSIONS_NAME], f"permissions:{user_obj.pk}", lambda: read(user_obj), PERMISSIONS_SECONDS
            )
        return user_obj._perm_cache


@receiver(m2m_changed, sender=UserModel.groups.through)
@receiver(m2m_changed, sender=UserModel.user_permissions.through)
@receiver(m2m_changed, sender=Group.permissions.through)
@receiver([post_save, post_delete], sender=Group)
@receiver([post_save, post_delete], sender=Permission)
@receiver(post_migrate)  # data migrations (roles, permissions) send no model signals
def _permissions_changed(sender, **kwargs):
    forget(PERMISSIONS_NAME)


@receiver([post_save, post_delete], sender=UserModel)
def _user_changed(sender, update_fields=None, **kwargs):
    if update_fields is None or not set(update_fields) <= _NOT_PERMISSION_FIELDS:
        forget(PERMISSIONS_NAME)
