"""Checking and storing screenshots and logs.

A file's type is decided by its first bytes, never by its name or the browser's word for it, and only
a short list of harmless types is accepted. Files are stored under MEDIA_ROOT with generated names and
are only ever served as downloads through a view that applies the practice check.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat

from servicedesk.lib import file_text
from servicedesk.lib.nhs import find_nhs_numbers

from .models import Attachment

# The binary types accepted: {content type: (leading bytes, what it is called, the only extension it is
# saved with)}. Whatever the uploader called the file, a "report.html" or "invoice.bat" must not run or
# render when opened from the downloads folder; plain text is saved as .txt (or .log).
_BINARY_TYPES = {
    "image/png": ((b"\x89PNG\r\n\x1a\n",), "a PNG image", ".png"),
    "image/jpeg": ((b"\xff\xd8\xff",), "a JPEG image", ".jpg"),
    "image/gif": ((b"GIF87a", b"GIF89a"), "a GIF image", ".gif"),
    "application/pdf": ((b"%PDF-",), "a PDF document", ".pdf"),
}
ACCEPTED_DESCRIPTION = "PNG, JPEG or GIF screenshots, PDF documents and plain-text logs"
# Web pages and SVG pretend to be text; a browser would run their scripts. Looked for anywhere in the
# file, since a comment, a byte-order mark or many lines of text may come first.
_MARKUP = re.compile(rb"<\s*(\?xml|!doctype|html|svg|script|body|head|iframe|object)\b", re.IGNORECASE)


NHS_NUMBER = "nhs_number"  # the code of a refusal for patient data, which the email intake holds instead


def attachment_limits():
    return (
        f"{ACCEPTED_DESCRIPTION}; at most {settings.ATTACHMENT_MAX_PER_NOTE} files of "
        f"{filesizeformat(settings.ATTACHMENT_MAX_BYTES)} each"
    )


@dataclass
class CheckedUpload:
    upload: object
    name: str
    content_type: str
    size: int


def safe_name(name):
    """The file's own name without any folder, control characters or odd spacing, for display only."""
    name = unicodedata.normalize("NFKC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    return (name or "attachment")[:150]


def _content_type(head):
    for content_type, (prefixes, _, _) in _BINARY_TYPES.items():
        if head.startswith(prefixes):
            return content_type
    if b"\x00" in head or _MARKUP.search(head):
        return None  # binary of an unknown kind, or a web page or SVG pretending to be text
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut in two at the end of the sample
            return None
    return "text/plain"


def check_upload(upload):
    """Return a CheckedUpload, or raise ValidationError with a message that names the file.

    The file's name and every part of it a person could read are checked for NHS numbers
    (servicedesk/lib/file_text.py says which parts those are).
    """
    name = safe_name(upload.name)
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            f"{name} is {filesizeformat(upload.size)}; files can be at most "
            f"{filesizeformat(settings.ATTACHMENT_MAX_BYTES)}."
        )
    if upload.size == 0:
        raise ValidationError(f"{name} is empty.")
    if found := find_nhs_numbers(name):
        raise ValidationError(
            f"The file name {name} contains “{found[0]}”, which looks like an NHS number. Patient-"
            "identifiable data must not be sent to the Service Desk: rename the file and attach it again.",
            code=NHS_NUMBER,
        )
    upload.seek(0)
    whole = upload.read()
    upload.seek(0)
    content_type = _content_type(whole[:4096])
    if content_type is None or (content_type == "text/plain" and _MARKUP.search(whole)):  # past 4 KB too
        raise ValidationError(f"{name} is not a file we accept. Attach {ACCEPTED_DESCRIPTION}.")
    try:
        texts = file_text.file_texts(content_type, whole)
    except file_text.UnreadableFile as exc:
        raise ValidationError(_unreadable_message(name, content_type, str(exc))) from None
    for where, text in texts:
        if found := find_nhs_numbers(text):
            raise ValidationError(
                f"{name} contains “{found[0]}”{_WHERE[where]}, which looks like an NHS number. "
                "Patient-identifiable data must not be sent to the Service Desk: remove it from the file and "
                "attach it again.",
                code=NHS_NUMBER,
            )
    return CheckedUpload(upload=upload, name=name, content_type=content_type, size=upload.size)


_WHERE = {
    file_text.TEXT: "",
    file_text.METADATA: " in its properties (hidden text such as comments, title or author)",
    file_text.AFTER_END: " in data hidden after the end of the image",
}


def _unreadable_message(name, content_type, problem):
    """Why the file cannot be checked for NHS numbers, and what to attach instead."""
    pdf_problems = {
        "encrypted": "is protected by a password. Attach a copy without one.",
        "pages": f"has more than {settings.ATTACHMENT_PDF_MAX_PAGES} pages. Attach only the pages that show "
        "the problem.",
        "embedded files": "has other files inside it. Attach those files on their own.",
        "too slow": "took too long to read. Attach only the pages that show the problem, or screenshots.",
    }
    if content_type == "application/pdf":
        reason = pdf_problems.get(problem, "cannot be read as a PDF. Save it again, or attach screenshots.")
    elif problem == "too much metadata":
        reason = "carries more hidden text than can be checked. Save the image again without its properties."
    else:
        reason = (
            f"begins like {_BINARY_TYPES[content_type][1]} but is not a whole one. Attach the original "
            "image; save text as a plain .txt file."
        )
    return f"{name} {reason} Files are checked for patient data before they are kept."


def check_uploads(uploads):
    """Check every file of one submission; all are refused if any is, so nothing is half-saved."""
    if len(uploads) > settings.ATTACHMENT_MAX_PER_NOTE:
        raise ValidationError(f"Attach at most {settings.ATTACHMENT_MAX_PER_NOTE} files at a time.")
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append(check_upload(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return checked


def store_attachment(incident, event, checked, actor):
    """Save a checked upload as the event's attachment. An image from a practice waits for the screenshot
    check; the desk's own images are already in the desk's hands, and pass."""
    attachment = Attachment(
        incident=incident,
        event=event,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        uploaded_by=actor,
        check_status=(
            Attachment.Check.CHECKING
            if checked.content_type in IMAGE_TYPES and not actor.is_staff
            else Attachment.Check.PASSED
        ),
    )
    attachment.file.save("upload", checked.upload)  # saves the attachment too
    return attachment


def download_name(attachment):
    stem, dot, extension = attachment.original_name.rpartition(".")
    if not dot:
        stem = attachment.original_name
    if attachment.content_type == "text/plain":
        wanted = ".log" if extension.lower() == "log" else ".txt"
    else:
        _, _, wanted = _BINARY_TYPES.get(attachment.content_type, ((), "", ".bin"))
    return f"{stem or 'attachment'}{wanted}"


def attachment_response(attachment):
    """The file as a download, never rendered by the browser whatever it contains."""
    if not attachment.file or not attachment.file.storage.exists(attachment.file.name):
        raise Http404("That file is no longer available.")
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=download_name(attachment),
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# Derived images of an attached screenshot: the longest side in pixels, by name.
IMAGE_SIZES = {"thumbnail": 320, "large": 1600}
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif"}


def is_image(attachment):
    return attachment.content_type in IMAGE_TYPES


def image_response(attachment, size):
    """A copy of an attached image, at most IMAGE_SIZES[size] pixels across, re-encoded by Pillow as PNG:
    decoded pixels only, so that no metadata, hidden data or crafted bytes of the original reach a browser.
    The same headers as a download keep it from being read as anything but an image."""
    import io
    import warnings

    from django.http import HttpResponse
    from PIL import Image, ImageOps

    if (
        not is_image(attachment)
        or not attachment.file
        or not attachment.file.storage.exists(attachment.file.name)
    ):
        raise Http404("That image is no longer available.")
    longest = IMAGE_SIZES[size]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # a huge image is not decoded
            with attachment.file.open("rb") as stored, Image.open(stored) as image:
                image.seek(0)  # an animated GIF: its first frame
                image.draft("RGB", (longest, longest))  # JPEG: decode at a reduced scale, faster
                copy = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise Http404("That image cannot be shown; download it instead.") from None
    copy.thumbnail((longest, longest))
    out = io.BytesIO()
    copy.save(out, format="PNG", optimize=size == "thumbnail")
    response = HttpResponse(out.getvalue(), content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    # Opened on its own (the larger view), the browser shows the image in a viewer document of its own
    # that styles it inline; nothing else may load or run.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["Cache-Control"] = "private, no-store"  # like every signed-in page: shared PCs
    return response


def upright_size(attachment):
    """[width, height] of a stored image as shown upright (its EXIF orientation applied), read from its
    header without decoding; None if it cannot be read or has more pixels than SCREENSHOT_MAX_PIXELS."""
    from PIL import Image

    try:
        with attachment.file.open("rb") as stored, Image.open(stored) as image:
            width, height = image.size
            if image.getexif().get(0x0112) in (5, 6, 7, 8):  # turned a quarter: the sides swap
                width, height = height, width
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return [width, height] if width * height <= settings.SCREENSHOT_MAX_PIXELS else None


def checked_image_response(attachment):
    """What the desk downloads of a practice's screenshot: the pixels the check read, re-encoded by Pillow
    as PNG (upright), so that nothing the check did not see reaches the desk: no EXIF thumbnail of an
    unredacted original, no metadata, no data after the image."""
    import io

    from PIL import Image, ImageOps

    try:
        with attachment.file.open("rb") as stored, Image.open(stored) as image:
            if image.width * image.height > settings.SCREENSHOT_MAX_PIXELS:
                raise ValueError("too many pixels")
            upright = ImageOps.exif_transpose(image)
            upright = upright.convert("RGBA" if "A" in upright.getbands() else "RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        raise Http404("That image is no longer available.") from None
    out = io.BytesIO()
    upright.save(out, format="PNG")
    out.seek(0)
    stem = download_name(attachment).rsplit(".", 1)[0]
    response = FileResponse(out, as_attachment=True, filename=f"{stem}.png", content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
