"""A local Slack Web API over real HTTP, for the real ``slack_sdk``/``slack_bolt`` clients.

Start it as a context manager and point a client at it::

    with FakeSlackApi() as slack:
        client = AsyncWebClient(token=FakeSlackApi.BOT_TOKEN, base_url=slack.api_url)

Served on 127.0.0.1 (port 0), every request is recorded in :attr:`FakeSlackApi.calls`
(method, merged query/form/JSON parameters, headers, arrival order) before it is answered.

Methods (``POST|GET /api/<method>``; a token other than ``Bearer xoxb-…`` — or ``xapp-…`` for
``apps.connections.open`` — gets ``invalid_auth``):

- ``auth.test`` — the bot's identity (:attr:`bot_user_id`, :attr:`bot_id`, :attr:`team_id`).
- ``chat.postMessage`` — stores the message (``text``, ``blocks``, ``thread_ts``, ``metadata``)
  and returns its new ``ts``; :meth:`posted` lists them. ``chat.postEphemeral`` is recorded in
  :attr:`ephemerals`.
- ``conversations.history`` — top-level messages of a channel, newest first, ``oldest``/``latest``
  exclusive, ``limit`` + ``cursor`` pagination; ``metadata`` only with ``include_all_metadata``;
  thread parents carry ``reply_count``/``latest_reply``. ``conversations.replies`` — a thread,
  parent first.
- ``conversations.info`` / ``users.info`` — from :attr:`channels` / :attr:`users`, with defaults
  (any channel exists, created by ``UCREATOR``; any user is a plain member).
- ``files.getUploadURLExternal`` → ``POST /upload/<file id>`` (the bytes) →
  ``files.completeUploadExternal``: the ``files_upload_v2`` flow; finished uploads are in :attr:`files`.
- ``POST /response/<key>`` — a slash command's ``response_url`` (:meth:`response_url` makes one);
  bodies land in :attr:`responses`.
- ``apps.connections.open`` — returns :attr:`socket_url` (set it to a Socket Mode fake).
- :meth:`add_message` puts a user's message into a channel, as if someone had typed it.

Scripted faults, consumed in order per method (``"upload"`` names the upload URL):
:meth:`fail_next` (HTTP status, e.g. 429 with ``Retry-After``, or 500), :meth:`error_next`
(HTTP 200 with ``{"ok": false, "error": …}``), :meth:`drop_next` (process the call, then close
the connection without answering: the client cannot know whether it happened), and
:meth:`refuse_channel` (every call naming that channel fails, e.g. ``channel_not_found``).

Hooks: :meth:`on_call` runs a test's callback in the server thread when a method is called,
before the call is processed or (``after=True``) once it is processed but not yet answered —
e.g. to SIGKILL a client process at an exact point of a conversation. A client that is gone
when the answer is written is ignored.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.local_http import LocalHttpServer

Json = dict[str, Any]


@dataclass(frozen=True)
class SlackCall:
    """One request as the server saw it; ``seq`` orders calls across threads."""

    seq: int
    method: str
    params: Json
    headers: dict[str, str]
    at: float


@dataclass(frozen=True)
class UploadedFile:
    file_id: str
    filename: str
    title: str | None
    content: bytes
    channel: str | None
    thread_ts: str | None


@dataclass(frozen=True)
class _Fault:
    kind: str  # "status" | "error" | "drop"
    status: int = 200
    error: str = ""
    retry_after: str | None = None


@dataclass
class _Pending:
    filename: str
    length: int
    content: bytes | None = None


@dataclass
class _State:
    messages: dict[str, list[Json]] = field(default_factory=lambda: defaultdict(list))
    pending_uploads: dict[str, _Pending] = field(default_factory=dict)
    last_ts: float = 0.0


class FakeSlackApi(LocalHttpServer):
    BOT_TOKEN = "xoxb-test"
    APP_TOKEN = "xapp-test"

    def __init__(self, *, bot_user_id: str = "UBOT", bot_id: str = "BBOT", team_id: str = "T0TEST") -> None:
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.team_id = team_id
        self.calls: list[SlackCall] = []
        self.files: list[UploadedFile] = []
        self.responses: list[tuple[str, Json]] = []
        self.ephemerals: list[Json] = []
        self.users: dict[str, Json] = {}
        self.channels: dict[str, Json] = {}
        self.socket_url: str | None = None
        self._state = _State()
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._hooks: dict[tuple[str, bool], list[Callable[[SlackCall], object]]] = defaultdict(list)
        self._refused: dict[str, str] = {}
        self._processing_posts = 0
        self._processing: dict[str, int] = {}
        self._seq = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._lock = threading.RLock()
        super().__init__(_handler_for(self))

    # -- addresses ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.origin

    @property
    def api_url(self) -> str:
        """What ``SLACK_API_URL`` / ``AsyncWebClient(base_url=…)`` should be."""
        return f"{self.base_url}/api/"

    def response_url(self, key: str = "R1") -> str:
        return f"{self.base_url}/response/{key}"

    # -- scripting ---------------------------------------------------------------------------

    def fail_next(self, method: str, *, status: int = 500, times: int = 1, retry_after: str | None = None) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP ``status`` (nothing is processed)."""
        self._faults[method].extend(_Fault("status", status=status, retry_after=retry_after) for _ in range(times))

    def error_next(self, method: str, error: str, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``{"ok": false, "error": error}``."""
        self._faults[method].extend(_Fault("error", error=error) for _ in range(times))

    def process_uploads_slowly(self, *, posts: int) -> None:
        """Files uploaded from now on are still being processed for the next ``posts`` messages
        whose image block names them: Slack answers those ``{"ok": false, "error":
        "invalid_blocks"}`` and posts nothing, as it does right after ``files.uploadV2``."""
        self._processing_posts = posts

    def drop_next(self, method: str, *, times: int = 1) -> None:
        """Process the next ``times`` calls of ``method``, then hang up without an answer."""
        self._faults[method].extend(_Fault("drop") for _ in range(times))

    def on_call(self, method: str, callback: Callable[[SlackCall], object], *, after: bool = False) -> None:
        """Call ``callback(call)`` on every call of ``method`` (``"upload"`` names the upload URL),
        in the server thread and outside the server's lock: before the call is processed (and
        before any scripted fault), or with ``after=True`` once processed — a message stored —
        but before the answer is sent. Hooks stay for the server's life; the callback decides
        (e.g. by counting) when to act. The answer is sent when it returns. A fault the callback
        scripts before processing (:meth:`fail_next`) applies to the very call it sees: the call
        is then not processed, like a request that never reached Slack."""
        with self._lock:
            self._hooks[method, after].append(callback)

    def refuse_channel(self, channel: str, error: str = "channel_not_found") -> None:
        self._refused[channel] = error

    def add_message(self, channel: str, *, text: str, user: str = "U0HUMAN", thread_ts: str | None = None) -> str:
        """A person's message in ``channel`` (or a thread of it); returns its ``ts``."""
        with self._lock:
            message: Json = {"type": "message", "user": user, "text": text, "ts": self._next_ts()}
            if thread_ts is not None:
                message["thread_ts"] = thread_ts
            self._state.messages[channel].append(message)
            return str(message["ts"])

    # -- inspection --------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[SlackCall]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def posted(self, channel: str | None = None) -> list[Json]:
        """Messages stored by ``chat.postMessage`` (the bot's), in posting order."""
        with self._lock:
            channels = [channel] if channel is not None else list(self._state.messages)
            found = [m for c in channels for m in self._state.messages.get(c, []) if m.get("bot_id") == self.bot_id]
        return sorted(found, key=lambda m: float(m["ts"]))

    def wait_until(self, condition: Callable[[], bool], *, timeout: float = 5.0) -> None:
        """Poll ``condition`` (from a synchronous test) until true; AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout} s; calls: {self.method_names()}")
            time.sleep(0.01)

    async def until(self, condition: Callable[[], bool], *, timeout: float = 5.0) -> None:
        """Like :meth:`wait_until`, for async tests (the event loop keeps running)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout} s; calls: {self.method_names()}")
            await asyncio.sleep(0.01)

    def method_names(self) -> list[str]:
        with self._lock:
            return [call.method for call in self.calls]

    # -- request handling (called from server threads) ---------------------------------------

    def _record(self, method: str, params: Json, headers: dict[str, str]) -> SlackCall:
        with self._lock:
            call = SlackCall(next(self._seq), method, params, headers, time.monotonic())
            self.calls.append(call)
            return call

    def _run_hooks(self, call: SlackCall, *, after: bool) -> None:
        with self._lock:
            hooks = list(self._hooks.get((call.method, after), ()))
        for hook in hooks:
            hook(call)

    def _take_fault(self, method: str, params: Json) -> _Fault | None:
        with self._lock:
            if self._faults[method]:
                return self._faults[method].popleft()
            for name in ("channel", "channel_id"):
                if params.get(name) in self._refused:
                    return _Fault("error", error=self._refused[params[name]])
        return None

    def _next_ts(self) -> str:
        self._state.last_ts = max(time.time(), self._state.last_ts + 0.000001)
        return f"{self._state.last_ts:.6f}"

    def _answer(self, method: str, params: Json, authorization: str) -> Json:
        token = authorization.removeprefix("Bearer ").strip()
        wanted = "xapp-" if method == "apps.connections.open" else "xoxb-"
        if not token.startswith(wanted):
            return {"ok": False, "error": "invalid_auth"}
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        with self._lock:
            return handler(params)

    def _api_auth_test(self, params: Json) -> Json:
        return {
            "ok": True,
            "url": "https://fake.slack.test/",
            "team": "Test Team",
            "user": "digestbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
        }

    def _api_chat_postMessage(self, params: Json) -> Json:
        channel = str(params.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        if not all(self._valid_image(block) for block in _decoded(params.get("blocks") or "[]")):
            return {"ok": False, "error": "invalid_blocks"}
        message: Json = {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": self.bot_id,
            "user": self.bot_user_id,
            "text": params.get("text", ""),
            "ts": self._next_ts(),
        }
        for name in ("blocks", "thread_ts", "metadata"):
            if params.get(name) is not None:
                message[name] = _decoded(params[name])
        self._state.messages[channel].append(message)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _valid_image(self, block: Json) -> bool:
        """An ``image`` block as Slack checks it: alt text, exactly one source, and a
        ``slack_file`` by id names an uploaded PNG/JPEG/GIF file (the poster has access)."""
        if block.get("type") != "image":
            return True
        if not block.get("alt_text") or ("image_url" in block) == ("slack_file" in block):
            return False
        slack_file = block.get("slack_file") or {}
        if "image_url" in block:
            return True
        if ("id" in slack_file) == ("url" in slack_file):
            return False
        if "url" in slack_file:  # a permalink of a file; the fake keeps none to check against
            return True
        known = {f.file_id: f.filename for f in self.files}
        file_id = str(slack_file.get("id"))
        if self._processing.get(file_id, 0) > 0:
            self._processing[file_id] -= 1
            return False
        return known.get(file_id, "").lower().endswith((".png", ".jpg", ".jpeg", ".gif"))

    def _api_chat_postEphemeral(self, params: Json) -> Json:
        self.ephemerals.append(dict(params))
        return {"ok": True, "message_ts": self._next_ts()}

    def _api_chat_getPermalink(self, params: Json) -> Json:
        """As Slack: the message must exist in the channel; the link names the workspace."""
        channel, ts = str(params.get("channel", "")), str(params.get("message_ts", ""))
        if not any(m["ts"] == ts for m in self._state.messages.get(channel, [])):
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel, "permalink": permalink(channel, ts)}

    def _api_conversations_history(self, params: Json) -> Json:
        channel = str(params.get("channel", ""))
        messages = [m for m in self._state.messages.get(channel, []) if m.get("thread_ts", m["ts"]) == m["ts"]]
        messages = [_with_thread_info(m, self._state.messages[channel]) for m in messages]
        return self._page(list(reversed(_between(messages, params))), params)

    def _api_conversations_replies(self, params: Json) -> Json:
        channel, parent = str(params.get("channel", "")), str(params.get("ts", ""))
        thread = [m for m in self._state.messages.get(channel, []) if m.get("thread_ts", m["ts"]) == parent]
        if not any(m["ts"] == parent for m in thread):
            return {"ok": False, "error": "thread_not_found"}
        head = [m for m in thread if m["ts"] == parent]
        replies = _between([m for m in thread if m["ts"] != parent], params)
        return self._page(head + replies, params)

    def _page(self, messages: list[Json], params: Json) -> Json:
        start = int(str(params.get("cursor") or "0"))
        size = int(params.get("limit") or 100)
        page = messages[start : start + size]
        if not _truthy(params.get("include_all_metadata")):
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + size < len(messages)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + size) if more else ""},
        }

    def _api_conversations_info(self, params: Json) -> Json:
        channel = str(params.get("channel", ""))
        info = {"id": channel, "name": channel.lower(), "creator": "UCREATOR", "is_private": False}
        return {"ok": True, "channel": info | self.channels.get(channel, {})}

    def _api_users_info(self, params: Json) -> Json:
        user = str(params.get("user", ""))
        info = {"id": user, "is_admin": False, "is_owner": False, "is_primary_owner": False, "is_bot": False}
        return {"ok": True, "user": info | self.users.get(user, {})}

    def _api_files_getUploadURLExternal(self, params: Json) -> Json:
        file_id = f"F{next(self._file_ids):06d}"
        self._state.pending_uploads[file_id] = _Pending(str(params.get("filename")), int(params.get("length", 0)))
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _api_files_completeUploadExternal(self, params: Json) -> Json:
        completed = []
        for entry in _decoded(params.get("files", "[]")):
            pending = self._state.pending_uploads.pop(entry["id"], None)
            if pending is None or pending.content is None:
                return {"ok": False, "error": "file_not_found"}
            channel = params.get("channel_id")
            uploaded = UploadedFile(
                entry["id"], pending.filename, entry.get("title"), pending.content, channel, params.get("thread_ts")
            )
            self.files.append(uploaded)
            self._processing[uploaded.file_id] = self._processing_posts
            completed.append({"id": uploaded.file_id, "title": uploaded.title, "name": uploaded.filename})
        return {"ok": True, "files": completed}

    def _api_apps_connections_open(self, params: Json) -> Json:
        if self.socket_url is None:
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True, "url": self.socket_url}

    def _store_upload(self, file_id: str, content: bytes) -> bool:
        with self._lock:
            pending = self._state.pending_uploads.get(file_id)
            if pending is None:
                return False
            pending.content = content
            return True


def permalink(channel: str, ts: str) -> str:
    """The link Slack gives to a message: its ts without the dot, after ``p``."""
    return f"https://fake.slack.test/archives/{channel}/p{ts.replace('.', '')}"


def _decoded(value: Any) -> Any:
    """Form-encoded calls carry JSON fields (``blocks``, ``files``) as strings."""
    if isinstance(value, str) and value[:1] in {"[", "{"}:
        return json.loads(value)
    return value


def _truthy(value: Any) -> bool:
    return str(value).lower() in {"1", "true"}


def _between(messages: list[Json], params: Json) -> list[Json]:
    oldest = float(params.get("oldest") or 0)
    latest = float(params.get("latest") or "inf")
    return [m for m in messages if oldest < float(m["ts"]) < latest]


def _with_thread_info(message: Json, channel_messages: list[Json]) -> Json:
    replies = [m for m in channel_messages if m.get("thread_ts") == message["ts"] and m["ts"] != message["ts"]]
    if not replies:
        return message
    return message | {"thread_ts": message["ts"], "reply_count": len(replies), "latest_reply": replies[-1]["ts"]}


def _handler_for(server: FakeSlackApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve(b"")

        def do_POST(self) -> None:
            self._serve(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def _serve(self, body: bytes) -> None:
            url = urlsplit(self.path)
            if url.path.startswith("/api/"):
                self._api(url.path.removeprefix("/api/"), _params(url.query, body, self.headers.get("Content-Type")))
            elif url.path.startswith("/upload/"):
                self._upload(url.path.removeprefix("/upload/"), body)
            elif url.path.startswith("/response/"):
                self._response(url.path.removeprefix("/response/"), body)
            else:
                self._reply(404, b"not found", "text/plain")

        def _api(self, method: str, params: Json) -> None:
            call = server._record(method, params, dict(self.headers.items()))
            server._run_hooks(call, after=False)
            fault = server._take_fault(method, params)
            if fault is not None and fault.kind == "status":
                headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                self._reply(fault.status, json.dumps({"ok": False, "error": "fake_fault"}).encode(), headers=headers)
                return
            if fault is not None and fault.kind == "error":
                self._reply(200, json.dumps({"ok": False, "error": fault.error}).encode())
                return
            answer = server._answer(method, params, self.headers.get("Authorization", ""))
            server._run_hooks(call, after=True)
            if fault is not None and fault.kind == "drop":
                self.close_connection = True
                return
            self._reply(200, json.dumps(answer).encode())

        def _upload(self, file_id: str, body: bytes) -> None:
            call = server._record("upload", {"file_id": file_id, "length": len(body)}, dict(self.headers.items()))
            server._run_hooks(call, after=False)
            fault = server._take_fault("upload", {})
            if fault is not None:
                self._reply(fault.status if fault.kind == "status" else 500, b"upload failed", "text/plain")
                return
            stored = server._store_upload(file_id, body)
            server._run_hooks(call, after=True)
            if stored:
                self._reply(200, f"OK - {len(body)}".encode(), "text/plain")
            else:
                self._reply(404, b"unknown upload", "text/plain")

        def _response(self, key: str, body: bytes) -> None:
            payload = json.loads(body or b"{}")
            server._record("response_url", {"key": key, **payload}, dict(self.headers.items()))
            with server._lock:
                server.responses.append((key, payload))
            self._reply(200, b"ok", "text/plain")

        def _reply(
            self,
            status: int,
            body: bytes,
            content_type: str = "application/json; charset=utf-8",
            *,
            headers: dict[str, str] | None = None,
        ) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client is gone (e.g. killed by a hook)
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            """Silence the per-request stderr log; tests read ``calls`` instead."""

    return Handler


def _params(query: str, body: bytes, content_type: str | None) -> Json:
    """Query string, form body and JSON body merged: slack_sdk uses all three."""
    params: Json = {key: values[-1] for key, values in parse_qs(query, keep_blank_values=True).items()}
    if not body:
        return params
    if (content_type or "").startswith("application/json"):
        params.update(json.loads(body))
    elif (content_type or "").startswith("application/x-www-form-urlencoded"):
        params.update({k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()})
    return params
