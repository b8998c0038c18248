"""Shared helpers for the SMS tests: a fake Twilio HTTP transport and a settable clock."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import requests
from twilio.http import HttpClient
from twilio.http.response import Response

ACCOUNT = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token"


@dataclass
class Clock:
    value: datetime = field(default_factory=lambda: datetime(2026, 11, 23, 10, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.value

    def advance(self, **kw: Any) -> None:
        self.value += timedelta(**kw)


class FakeTwilioHttp(HttpClient):
    """Plays Twilio's REST API. `script` says what each message POST does, in order:

    "ok" (201), "timeout_after_create" (Twilio created it, the answer is lost),
    "timeout_before_create" (never reached Twilio), 429, 500 (not created),
    "500_after_create", 21610 (recipient opted out), "list_fails" affects GET only.
    """

    def __init__(self, clock: Clock, script: list[Any] | None = None) -> None:
        super().__init__(logging.getLogger("fake-twilio"), False, 5)
        self.clock = clock
        self.script = list(script or [])
        self.posts: list[dict[str, Any]] = []
        self.created: list[dict[str, Any]] = []  # messages that exist at "Twilio"
        self.list_fails = False

    def _create(self, data: dict[str, Any]) -> dict[str, Any]:
        msg = {
            "sid": "SM" + uuid.uuid4().hex,
            "account_sid": ACCOUNT,
            "to": data["To"],
            "from": data.get("From"),
            "body": data["Body"],
            "status": "queued",
            "date_created": format_datetime(self.clock(), usegmt=True),
            "date_updated": format_datetime(self.clock(), usegmt=True),
            "date_sent": None,
            "num_segments": "1",
            "direction": "outbound-api",
        }
        self.created.append(msg)
        return msg

    def request(  # type: ignore[override]
        self,
        method: str,
        uri: str,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        auth: Any = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        assert timeout is None or timeout > 0
        if method.upper() == "POST":
            data = dict(data or {})
            self.posts.append(data)
            action = self.script.pop(0) if self.script else "ok"
            if action == "ok":
                return Response(201, json.dumps(self._create(data)))
            if action == "timeout_after_create":
                self._create(data)
                raise requests.exceptions.ReadTimeout("read timed out")
            if action == "timeout_before_create":
                raise requests.exceptions.ConnectTimeout("connect timed out")
            if action == "500_after_create":
                self._create(data)
                return Response(500, json.dumps({"status": 500, "message": "oops"}))
            if action in (429, 500):
                code = 20429 if action == 429 else 20500
                body = {"status": action, "code": code, "message": "try later"}
                return Response(action, json.dumps(body))
            if action == 21610:
                body = {"status": 400, "code": 21610, "message": "unsubscribed recipient"}
                return Response(400, json.dumps(body))
            raise AssertionError(f"unknown action {action!r}")
        # GET: list messages (filtered by To), newest first.
        if self.list_fails:
            raise requests.exceptions.ConnectionError("down")
        to = (params or {}).get("To")
        msgs = [m for m in reversed(self.created) if to in (None, m["to"])]
        page = {
            "messages": msgs,
            "end": max(len(msgs) - 1, 0),
            "first_page_uri": uri,
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
            "previous_page_uri": None,
            "start": 0,
            "uri": uri,
        }
        return Response(200, json.dumps(page))
