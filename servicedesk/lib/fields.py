"""Model fields shared by the apps."""

from django.conf import settings
from django.utils.functional import cached_property
from encrypted_fields.fields import EncryptedTextField as LibraryEncryptedTextField


class EncryptedTextField(LibraryEncryptedTextField):
    """Text encrypted at rest with Fernet, by django-fernet-encrypted-fields.

    The library derives its keys from SECRET_KEY; here they are FIELD_ENCRYPTION_KEYS instead, so that
    rotating SECRET_KEY (say after a leak) cannot make the stored details unreadable. The first key
    encrypts; every key decrypts, which is how a key is rotated.
    """

    @cached_property
    def keys(self):
        return [key.encode() for key in settings.FIELD_ENCRYPTION_KEYS]
