import pytest
from django.core.validators import validate_email
from django.core.exceptions import ValidationError
from tests.conftest import login
from incidents.models import Incident, Attachment
from tests.incidents.helpers import *  # noqa
from tests.incidents.conftest import incident_data  # noqa
import struct, zlib

def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
PNG = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0))
    + _chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00\xff")) + _chunk(b"IEND", b""))

def test_email():
    for e in ['"<script>alert(1)</script><img/src=x/onerror=alert(1)>"@riverside.example']:
        try:
            validate_email(e); print("VALID", e)
        except ValidationError as x:
            print("INVALID", e, x)

def multipart(fields, files, boundary="BoUnDaRy"):
    parts = []
    for k, v in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    for k, name, content in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="'.encode() + name + b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"

@pytest.mark.parametrize("name", [b"../../etc/passwd", b"..\\..\\x", b"a\x00b.png", b"a\x1b[31mb.png", b"..", b"a." + b"x"*300, b"x"*400 + b".png"])
def test_names(user_client, incident, name, settings):
    body, ct = multipart({"text": "note"}, [("files", name, PNG + b"\x00" * 3_000_000)])
    r = user_client.post(f"/incidents/{incident.reference}/notes/", body, content_type=ct)
    print(name[:40], r.status_code, list(Attachment.objects.values_list("original_name", "file")))
