"""Model fields shared by the apps."""

from django.conf import settings
from django.utils.functional import cached_property
from encrypted_fields.fields import EncryptedTextField as LibraryEncryptedTextField


class EncryptedTextField(LibraryEncryptedTextField):
    """django-fernet-encrypted-fields' field, with FIELD_ENCRYPTION_KEYS rather than keys derived from
    SECRET_KEY, so that rotating SECRET_KEY (say after a leak) cannot make the stored details unreadable."""

    @cached_property
    def keys(self):
        return [key.encode() for key in settings.FIELD_ENCRYPTION_KEYS]
