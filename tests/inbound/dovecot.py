"""A real IMAP server for the tests and the bench: Debian's Dovecot (`apt-get install dovecot-imapd`), started
with a throwaway configuration in a temporary folder, listening for IMAP over TLS on 127.0.0.1 with a
self-signed certificate, and holding one mailbox user who logs in by password or by XOAUTH2.

XOAUTH2 needs an OAuth provider: a small HTTP server in this process plays it, giving access tokens for the
refresh token (the endpoint the poller calls) and answering Dovecot's token introspection.

Dovecot started by root runs its mail processes as an ordinary user (`nobody`) and its login processes as the
package's `dovenull`; started by anyone else, it runs all of them as that user.
"""

import grp
import json
import os
import pwd
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from urllib.parse import parse_qs

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from imap_tools import MailBox

DOVECOT = Path("/usr/sbin/dovecot")
USER = "intake"
START_SECONDS = 30
CERTIFICATE_SPAN = timedelta(days=3650)

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
ssl_min_protocol = TLSv1.2
auth_mechanisms = plain login xoauth2 oauthbearer
mail_location = maildir:{root}/mail/%u
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
first_valid_uid = 1
mail_max_userip_connections = 50
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf.ext
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""

OAUTH2 = """\
introspection_mode = post
introspection_url = {url}/introspect
username_attribute = username
active_attribute = active
active_value = true
force_introspection = yes
"""


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _certificate(folder):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # OpenSSL checks these against the machine's real clock, whatever time-machine tells Python (CI moves
        # Python's clock 400 days ahead): ten years either side of Python's now covers the real one too.
        .not_valid_before(datetime.now(UTC) - CERTIFICATE_SPAN)
        .not_valid_after(datetime.now(UTC) + CERTIFICATE_SPAN)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(IPv4Address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (folder / "key.pem").chmod(0o600)


class OAuthProvider:
    """Token endpoint (refresh token -> access token) and introspection, on 127.0.0.1."""

    def __init__(self, user):
        self.user = user
        self.refresh_token = secrets.token_urlsafe(16)
        self.client_id = "servicedesk-tests"
        self.client_secret = secrets.token_urlsafe(16)
        self.issued = set()
        self.token_requests = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if self.path == "/token":
                    status, body = provider.token(form)
                elif self.path == "/introspect":
                    status, body = 200, provider.introspect(form.get("token", ""))
                else:
                    status, body = 404, {"error": "not_found"}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def token(self, form):
        self.token_requests += 1
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("refresh_token") != self.refresh_token
            or form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return 400, {"error": "invalid_grant"}
        token = secrets.token_urlsafe(24)
        self.issued.add(token)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600}

    def introspect(self, token):
        if token in self.issued:
            return {"active": "true", "username": self.user}
        return {"active": "false"}

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Dovecot:
    """One Dovecot, its mailbox user `intake`, and the settings the poller needs to read it."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="servicedesk-dovecot-"))
        self.root.chmod(0o755)  # the mail and login processes run as other users when started by root
        self.port = _free_port()
        self.password = secrets.token_urlsafe(12)
        self.oauth = OAuthProvider(USER)
        _certificate(self.root)
        if os.geteuid() == 0:
            mail_user, internal, login = pwd.getpwnam("nobody"), "dovecot", "dovenull"
        else:
            mail_user = pwd.getpwuid(os.geteuid())
            internal = login = mail_user.pw_name
        internal_group = grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name
        mail = self.root / "mail"
        mail.mkdir()
        os.chown(mail, mail_user.pw_uid, mail_user.pw_gid)
        (self.root / "passwd").write_text(
            f"{USER}:{{PLAIN}}{self.password}:{mail_user.pw_uid}:{mail_user.pw_gid}::{mail}/{USER}\n"
        )
        (self.root / "oauth2.conf.ext").write_text(OAUTH2.format(url=self.oauth.url))
        self.config = self.root / "dovecot.conf"
        self.config.write_text(
            CONFIG.format(
                root=self.root,
                port=self.port,
                internal=internal,
                internal_group=internal_group,
                login=login,
            )
        )
        self.process = subprocess.Popen(  # noqa: S603 (a fixed program and our own configuration)
            [str(DOVECOT), "-F", "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._wait_until_listening()

    def _wait_until_listening(self):
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Dovecot stopped at once:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(
            f"Dovecot did not listen on port {self.port} within {START_SECONDS} s:\n{self.log()}"
        )

    def log(self):
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def settings(self, auth="password"):
        """The INBOUND_IMAP_* settings that point the poller at this server."""
        values = {
            "INBOUND_IMAP_HOST": "127.0.0.1",
            "INBOUND_IMAP_PORT": self.port,
            "INBOUND_IMAP_USER": USER,
            "INBOUND_IMAP_AUTH": auth,
            "INBOUND_IMAP_PASSWORD": self.password if auth == "password" else "",
            "INBOUND_IMAP_CA_FILE": str(self.root / "cert.pem"),
        }
        if auth == "xoauth2":
            values |= {
                "INBOUND_IMAP_OAUTH_TOKEN_URL": f"{self.oauth.url}/token",
                "INBOUND_IMAP_OAUTH_CLIENT_ID": self.oauth.client_id,
                "INBOUND_IMAP_OAUTH_CLIENT_SECRET": self.oauth.client_secret,
                "INBOUND_IMAP_OAUTH_REFRESH_TOKEN": self.oauth.refresh_token,
            }
        return values

    def mailbox(self):
        context = ssl.create_default_context(cafile=str(self.root / "cert.pem"))
        return MailBox("127.0.0.1", self.port, ssl_context=context).login(
            USER, self.password, initial_folder=None
        )

    def deliver(self, *messages, folder="INBOX"):
        """Put raw messages in a folder, as the mail server delivers them."""
        with self.mailbox() as box:
            if not box.folder.exists(folder):
                box.folder.create(folder)
            for raw in messages:
                box.append(raw, folder)

    def contents(self):
        """{folder: [raw message, ...]} of every folder."""
        with self.mailbox() as box:
            found = {}
            for info in box.folder.list():
                box.folder.set(info.name, readonly=True)
                found[info.name] = [message.obj.as_bytes() for message in box.fetch(mark_seen=False)]
            return found

    def count(self):
        """{folder: number of messages} of every folder that has any."""
        with self.mailbox() as box:
            counts = {info.name: box.folder.status(info.name)["MESSAGES"] for info in box.folder.list()}
        return {name: n for name, n in counts.items() if n}

    def empty(self):
        """Remove every message and every folder but the inbox."""
        with self.mailbox() as box:
            for info in box.folder.list():
                if info.name != "INBOX":
                    box.folder.delete(info.name)
            box.folder.set("INBOX")
            box.delete(box.uids())

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.oauth.stop()
        shutil.rmtree(self.root, ignore_errors=True)
