"""Attack payloads, and the checks and form data that go with them, shared by the security tests of stored
XSS, uploads, sessions, throttling and remote-access leaks."""

from html.parser import HTMLParser

from tests.incidents.test_attachment_checks import PNG  # noqa: F401 - a real 1x1 PNG, for the upload tests

# --- Cross-site scripting ----------------------------------------------------------------------------

XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


def xss(tag, max_length=None):
    """A payload that names `tag`, so that a failure says which field leaked; `XSS` in shape.

    A field too short for the whole payload gets the <script> half alone, which must still fit.
    """
    full = f'<script>alert("{tag}")</script><img src=x onerror=alert(1)>'
    if max_length is None or len(full) <= max_length:
        return full
    short = f'<script>alert("{tag}")</script>'
    assert len(short) <= max_length, f"{tag}: even the short payload does not fit in {max_length} characters"
    return short


# A file name cannot carry "/" (the upload parser keeps what follows the last one) or a double quote
# (it ends the name in the multipart header), so this one is markup without either.
XSS_FILE_NAME = "<img src=x onerror=alert(9)><svg onload=alert(9)>.png"

# An email address may legally hold markup, as a quoted local part (RFC 5322), if it has no spaces.
XSS_EMAILS = (
    '"<script>alert(1)</script><img/src=x/onerror=alert(1)>"@riverside.example',
    '"<svg/onload=alert(2)><img/src=x/onerror=alert(2)>"@riverside.example',
)


class _MarkupScan(HTMLParser):
    """Reads HTML the way a browser would split it: what is text (or an attribute value) and what is
    markup. Markup that runs a payload (a <script> calling alert, an on* handler calling alert, an
    <img src=x>) is collected in `injected`."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data = []
        self.attributes = []
        self.injected = []
        self._script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            self.attributes.append(value or "")
            if name.startswith("on") and "alert" in (value or ""):
                self.injected.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.injected.append(f"<img src=x> with {attrs!r}")
        if tag == "script":
            self._script = True

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._script = False

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = False

    def handle_data(self, data):
        if self._script:
            if "alert(" in data:
                self.injected.append(f"<script>{data}</script>")
        else:
            self.data.append(data)


def scan(html):
    parser = _MarkupScan()
    parser.feed(html)
    parser.close()
    return parser


def assert_shown_as_text(html, payloads, where):
    """Each payload is in the page as text a person reads (so escaped in the source), and none of any
    payload runs: no payload is in the source unescaped, and the page has no injected markup."""
    parsed = scan(html)
    assert not parsed.injected, f"{where}: injected markup {parsed.injected}"
    text = "".join(parsed.data) + "\n" + "\n".join(parsed.attributes)
    missing = [payload for payload in payloads if payload not in text]
    assert not missing, f"{where}: not shown {missing}"
    raw = [payload for payload in payloads if payload in html]
    assert not raw, f"{where}: unescaped {raw}"


def assert_no_injected_markup(html, payloads, where):
    """None of the payloads (or anything like them) is in the page as markup."""
    parsed = scan(html)
    assert not parsed.injected, f"{where}: injected markup {parsed.injected}"
    raw = [payload for payload in payloads if payload in html]
    assert not raw, f"{where}: unescaped {raw}"


# --- Files -------------------------------------------------------------------------------------------


LOG = b"2030-05-14 10:31:02 ERROR Print spooler stopped (0x80004005)\n"
HTML_PAGE = b"<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>"
SVG_WITH_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script><circle r="4"/></svg>'
)
# A valid PNG that is also a web page: a browser sniffing the bytes could render it as HTML.
PNG_HTML_POLYGLOT = PNG + b"<html><body><script>alert(document.cookie)</script></body></html>"


def multipart(fields, files, boundary="----SecurityTestBoundary7MA4YWxk"):
    """A multipart/form-data body with the file names exactly as given (bytes), as a hostile client
    sends them: Django's test client would strip folders from a name before sending it.

    `files` is a list of (field name, file name bytes, content bytes). Returns (body, content type).
    """
    parts = []
    for name, value in fields.items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{item}\r\n'.encode()
            )
    for field, file_name, content in files:
        if file_name.startswith(b"*"):  # the RFC 2231 form, e.g. filename*=UTF-8''..%2Fpasswd
            parameter = b"filename*=" + file_name[1:]
        else:
            parameter = b'filename="' + file_name + b'"'
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '.encode()
            + parameter
            + b"\r\nContent-Type: application/octet-stream\r\n\r\n"
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def files_under(folder):
    """Every file below `folder`, as paths relative to it."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


# --- Forms ---------------------------------------------------------------------------------------------


def log_form_data(practice, product, **changes):
    """A complete, valid answer to the portal's log form (/incidents/new/), with `changes` applied."""
    return {
        "contact_name": "Alex Morgan",
        "contact_number": "01632 960555",
        "site": practice.sites.get(is_main=True).pk,
        "summary": "Screenshots of the error",
        "severity": "3",
        "urgency": "today",
        "description": "The appointments screen freezes.",
        "product": product.pk,
        "on_current_version": "unknown",
        "worked_before": "unknown",
        "more_than_one_pc": "unknown",
        "repeatable": "unknown",
        "users_affected": "1",
        "sites_affected": "unknown",
        **changes,
    }


def standard_ladder():
    """The escalation ladder of the data migration, seeded again if a transactional test emptied it."""
    import importlib

    from django.apps import apps

    importlib.import_module("escalation.migrations.0004_standard_ladder").create(apps, None)
