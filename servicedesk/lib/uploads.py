"""Upload handling ahead of any view."""

import os

from django.core.files.uploadhandler import TemporaryFileUploadHandler as DjangoTemporaryFileUploadHandler

# Django names the temporary file "<random>.upload<extension>"; file names have at most 255 bytes.
_LONGEST_EXTENSION = 64


class TemporaryFileUploadHandler(DjangoTemporaryFileUploadHandler):
    """Django's, but an extension too long for a temporary file name is dropped (Django ticket #37292):
    what the file is, and its stored name, come from its content (incidents/attachments.py)."""

    def new_file(self, field_name, file_name, *args, **kwargs):
        stem, extension = os.path.splitext(file_name)
        if len(extension.encode("utf-8", "surrogateescape")) > _LONGEST_EXTENSION:
            file_name = stem
        super().new_file(field_name, file_name, *args, **kwargs)
