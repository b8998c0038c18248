"""Optional e-mail of activation links (SHELTERBEDS_SMTP_URL), against a real local SMTP dialog."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes

import pytest
from sqlalchemy import select

from shelterbeds.models import User

ADMIN = "admin@example.org"


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: greet, accept every command, keep each message."""

    def handle(self) -> None:
        self.wfile.write(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-test\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                self.server.messages.append(data)  # type: ignore[attr-defined]
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


@pytest.fixture
def smtp_server() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.messages = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def settings(settings, smtp_server):
    port = smtp_server.server_address[1]
    return settings.with_overrides(
        {"smtp_url": f"smtp+plain://127.0.0.1:{port}", "smtp_from": "noreply@shelterbeds.test"}
    )


def test_activation_link_is_emailed_when_smtp_is_set(client, demo, token_for, smtp_server):
    r = client.post(
        "/api/v1/users",
        json={
            "email": "mejl@example.org",
            "role": "social_worker",
            "organisation": "socialjouren-orebro",
        },  # fmt: skip
        headers=token_for(ADMIN),
    )
    assert r.status_code == 201, r.json
    assert r.json["activation_emailed"] is True
    (raw,) = smtp_server.messages
    message = message_from_bytes(raw)
    assert message["To"] == "mejl@example.org"
    assert message["From"] == "noreply@shelterbeds.test"
    assert r.json["activation_url"] in message.get_payload(decode=True).decode()


def test_a_failing_mail_server_still_creates_the_account(client, demo, token_for, session, app):
    app.config["SETTINGS"] = app.config["SETTINGS"].with_overrides(
        {"smtp_url": "smtp+plain://127.0.0.1:1"}  # nothing listens on port 1
    )
    r = client.post(
        "/api/v1/users",
        json={"email": "ingen@example.org", "role": "admin"},
        headers=token_for(ADMIN),
    )
    assert r.status_code == 201
    assert r.json["activation_emailed"] is False and r.json["activation_url"]
    assert session.scalar(select(User).where(User.email == "ingen@example.org")) is not None


def test_no_smtp_url_sends_nothing(client, demo, token_for, app, smtp_server):
    app.config["SETTINGS"] = app.config["SETTINGS"].with_overrides({"smtp_url": ""})
    r = client.post(
        "/api/v1/users",
        json={"email": "tyst@example.org", "role": "admin"},
        headers=token_for(ADMIN),
    )
    assert r.status_code == 201 and r.json["activation_emailed"] is False
    assert smtp_server.messages == []
