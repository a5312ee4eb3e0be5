"""A local OpenAI-compatible server over real HTTP, for the real ``openai`` client.

Tests and benchmarks build ``AsyncOpenAI(base_url=server.url, api_key="sk-test", max_retries=0)``
(or point the bot's ``OPENAI_BASE_URL`` at ``server.url``) and then assert on what the server
received. Nothing of our code is patched: the SDK speaks HTTP to this server exactly as it would
to api.openai.com, vLLM or Ollama.

Stable API (other test suites rely on it):

* ``FakeOpenAIServer(brain=default_brain, latency=0.0, json_schema_supported=True,
  failure_rate=0.0, seed=0, retry_after=0.0, batch_completes_after=0.0, batches_supported=True,
  api_key=None)`` —
  a context manager; ``url`` is the ``base_url`` for the SDK (``http://127.0.0.1:<port>/v1``).
* Endpoints: ``POST /v1/chat/completions``; ``POST /v1/files`` (multipart, ``purpose=batch``),
  ``GET /v1/files/{id}``, ``GET /v1/files/{id}/content``; ``POST /v1/batches``,
  ``GET /v1/batches/{id}``, ``POST /v1/batches/{id}/cancel``. Anything else is a 404 in
  OpenAI's error shape.
* ``requests`` — every request, in arrival order (:class:`RecordedRequest`);
  ``chat_requests(task=None)`` — the chat calls only, optionally of one task; ``tasks()`` —
  a Counter of chat calls per task; ``max_in_flight`` — the most chat calls served at once;
  ``cancelled_batches`` — ids of batches the client cancelled.
* ``fail_next(*faults, task=None)`` — queue :class:`Fault` objects; each is consumed by the
  next chat call (of ``task``, when given): ``Fault.http(429, retry_after=2)``,
  ``Fault.http(500)``, ``Fault.content("not json")``, ``Fault.mutate(drop_items(1))``
  (also ``duplicate_first_item(slug=None)`` and ``rename_first_item(new_id)``).
* ``brain`` — ``Callable[[ChatRequest], dict | str]`` writes the reply; :func:`default_brain`
  answers every task of ours from the request's data (``categorize_by_keywords``,
  ``summarize_by_quoting``, ``answer_by_overlap``, …), so a custom brain can wrap it and change
  one task.
* ``failure_rate`` — that share of chat calls (chosen by a seeded RNG) fail with 429 (with
  ``Retry-After: retry_after``) or 500, alternately.
* ``json_schema_supported=False`` — answers ``response_format`` ``json_schema`` with HTTP 400
  (like older vLLM/Ollama builds) and serves ``json_object`` requests normally.
* ``latency`` — seconds every chat call takes (requests are served concurrently, one thread each).
* ``batch_completes_after`` — seconds after creation a batch reports ``completed`` (``None``:
  never, to exercise the caller's deadline); its output is produced by the brain, and its
  requests are not in ``requests`` (only the HTTP calls are). ``batches_supported=False``
  answers the files and batches routes with 404, like a server without the Batch API.
* ``api_key`` — when set, any other bearer token gets a 401 in OpenAI's error shape.

The task of a chat call is the name of the JSON schema it asks for: ``response_format.json_schema.name``,
or, in ``json_object`` mode, the name in ``(schema name: X)`` inside the system message.
The brain reads the data our prompts delimit as tags (texts are HTML-escaped inside them):
``<category slug="llm" fallback="no">…</category>``, ``<paper id="2606.12345"><title>…</title>
<abstract>…</abstract></paper>``, ``<passage id="…"><title>…</title><text>…</text></passage>``,
``<question>…</question>``, ``<fact id="…">…</fact>`` and ``<sentence index="0">…</sentence>``.
The ``SearchTerms`` task (English search terms for a non-English question) is answered from a
small Korean glossary (:data:`GLOSSARY`).

Usage is reported as the API does: ``prompt_tokens`` (characters / 4), ``completion_tokens`` and
``prompt_tokens_details.cached_tokens``, which emulates provider prompt caching: a system
message of at least 1,024 tokens seen before (same model) counts as cached.
"""

from __future__ import annotations

import email.parser
import email.policy
import html
import itertools
import json
import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.local_http import LocalHttpServer

_TASK_IN_PROMPT = re.compile(r"\(schema name: ([\w-]+)\)")
_CATEGORY = re.compile(r'<category slug="([^"]+)"[^>]*?fallback="(yes|no)"')
_PAPER = re.compile(r'<paper id="([^"]+)">\s*<title>(.*?)</title>\s*<abstract>(.*?)</abstract>\s*</paper>', re.S)
_PASSAGE = re.compile(r'<passage id="([^"]+)"[^>]*>\s*<title>(.*?)</title>\s*<text>(.*?)</text>\s*</passage>', re.S)
_QUESTION = re.compile(r"<question>(.*?)</question>", re.S)
_FACT = re.compile(r'<fact id="([^"]+)">(.*?)</fact>', re.S)
_SENTENCE = re.compile(r'<sentence index="(\d+)">(.*?)</sentence>', re.S)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_WORD = re.compile(r"[A-Za-z][A-Za-z\-]{3,}")
_CACHEABLE_TOKENS = 1024


@dataclass(frozen=True)
class PaperData:
    arxiv_id: str
    title: str
    abstract: str


@dataclass(frozen=True)
class ChatRequest:
    """A chat call as the brain sees it: the task, both messages, and the data they carry."""

    task: str
    model: str
    system: str
    user: str
    body: dict[str, Any]

    @property
    def papers(self) -> list[PaperData]:
        return [
            PaperData(i, html.unescape(t).strip(), html.unescape(a).strip()) for i, t, a in _PAPER.findall(self.user)
        ]

    @property
    def passages(self) -> list[PaperData]:
        return [
            PaperData(i, html.unescape(t).strip(), html.unescape(x).strip()) for i, t, x in _PASSAGE.findall(self.user)
        ]

    @property
    def categories(self) -> list[str]:
        return [slug for slug, _ in _CATEGORY.findall(self.system)]

    @property
    def fallback_category(self) -> str | None:
        return next((slug for slug, flag in _CATEGORY.findall(self.system) if flag == "yes"), None)

    @property
    def question(self) -> str:
        match = _QUESTION.search(self.user)
        return html.unescape(match.group(1)).strip() if match else ""

    @property
    def facts(self) -> list[tuple[str, str]]:
        return [(i, html.unescape(text).strip()) for i, text in _FACT.findall(self.user)]

    @property
    def sentences(self) -> list[tuple[int, str]]:
        return [(int(i), html.unescape(text).strip()) for i, text in _SENTENCE.findall(self.user)]


Brain = Callable[[ChatRequest], "dict[str, Any] | str"]
"""Produces the assistant's reply: a dict (sent as JSON) or a raw string (sent as is)."""


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour for one chat call."""

    status: int = 200
    retry_after: float | None = None
    raw_content: str | None = None
    mutation: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    @classmethod
    def http(cls, status: int, *, retry_after: float | None = None) -> Fault:
        return cls(status=status, retry_after=retry_after)

    @classmethod
    def content(cls, text: str) -> Fault:
        """A 200 whose message content is ``text`` (e.g. not JSON at all)."""
        return cls(raw_content=text)

    @classmethod
    def mutate(cls, mutation: Callable[[dict[str, Any]], dict[str, Any]]) -> Fault:
        """A 200 whose JSON the brain produced, then changed by ``mutation``."""
        return cls(mutation=mutation)


def drop_items(count: int = 1) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Remove the first ``count`` entries of ``items`` (a categorizer that forgets papers)."""
    return lambda reply: {**reply, "items": reply["items"][count:]}


def duplicate_first_item(slug: str | None = None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Repeat the first entry of ``items``, optionally with another slug (a contradicting answer)."""

    def mutate(reply: dict[str, Any]) -> dict[str, Any]:
        first = dict(reply["items"][0])
        if slug is not None:
            first["slug"] = slug
        return {**reply, "items": [*reply["items"], first]}

    return mutate


def rename_first_item(new_id: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Answer for an id that was never sent instead of the first paper."""
    return lambda reply: {**reply, "items": [{**reply["items"][0], "id": new_id}, *reply["items"][1:]]}


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it; ``at`` is ``time.monotonic()`` on arrival."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float
    task: str | None = None


@dataclass
class _Batch:
    data: dict[str, Any]
    created: float
    lines: list[dict[str, Any]] = field(default_factory=list)


class FakeOpenAIServer(LocalHttpServer):
    """See the module docstring for the contract."""

    def __init__(
        self,
        *,
        brain: Brain | None = None,
        latency: float = 0.0,
        json_schema_supported: bool = True,
        failure_rate: float = 0.0,
        seed: int = 0,
        retry_after: float = 0.0,
        batch_completes_after: float | None = 0.0,
        batches_supported: bool = True,
        api_key: str | None = None,
    ) -> None:
        self.brain = brain or default_brain
        self.latency = latency
        self.json_schema_supported = json_schema_supported
        self.failure_rate = failure_rate
        self.retry_after = retry_after
        self.batch_completes_after = batch_completes_after
        self.batches_supported = batches_supported
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.cancelled_batches: list[str] = []
        self._random = random.Random(seed)
        self._random_failures = itertools.cycle((429, 500))
        self._faults: deque[tuple[str | None, Fault]] = deque()
        self._seen_prefixes: set[tuple[str, str]] = set()
        self._files: dict[str, tuple[dict[str, Any], bytes]] = {}
        self._batches: dict[str, _Batch] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        super().__init__(_handler_for(self), server_class=_Server)

    @property
    def url(self) -> str:
        return f"{self.origin}/v1"

    def chat_requests(self, task: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == "/v1/chat/completions" and (task is None or r.task == task)]

    def tasks(self) -> Counter[str]:
        """How many chat calls of each task arrived."""
        return Counter(r.task or "?" for r in self.chat_requests())

    def fail_next(self, *faults: Fault, task: str | None = None) -> None:
        with self._lock:
            self._faults.extend((task, fault) for fault in faults)

    # --- chat completions -------------------------------------------------------------

    def _chat(self, body: dict[str, Any], task: str | None) -> tuple[int, dict[str, Any], dict[str, str]]:
        fault = self._take_fault(task)
        if fault is not None and fault.status != 200:
            return _error(fault.status, "Scripted failure.", retry_after=fault.retry_after)
        if fault is None and self.failure_rate and self._roll():
            status = next(self._random_failures)
            return _error(status, "Random failure.", retry_after=self.retry_after if status == 429 else None)
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_schema" and not self.json_schema_supported:
            return _error(
                400, "response_format of type json_schema is not supported by this server", param="response_format"
            )
        if task is None:
            return _error(400, "No JSON schema named in the request.")
        request = _chat_request(task, body)
        schema = response_format.get("json_schema", {}).get("schema") if response_format else None
        if schema is not None and (problem := strict_schema_problem(schema)):
            return _error(400, f"Invalid schema for response_format '{task}': {problem}", param="response_format")
        reply = self.brain(request)
        if schema is not None and isinstance(reply, dict) and (problem := reply_problem(reply, schema, schema)):
            # The brain is ours: a reply that breaks the schema is a bug in the test, not a fault to serve.
            return _error(500, f"The fake's brain broke the '{task}' schema: {problem}")
        if fault is not None and fault.mutation is not None and isinstance(reply, dict):
            reply = fault.mutation(reply)
        content = fault.raw_content if fault is not None and fault.raw_content is not None else _as_text(reply)
        return 200, self._completion(body, request, content), {}

    def _completion(self, body: dict[str, Any], request: ChatRequest, content: str) -> dict[str, Any]:
        prompt_tokens = sum(_tokens(str(m.get("content", ""))) for m in body.get("messages", []))
        system_tokens = _tokens(request.system)
        with self._lock:
            prefix = (request.model, request.system)
            cached = system_tokens if prefix in self._seen_prefixes and system_tokens >= _CACHEABLE_TOKENS else 0
            self._seen_prefixes.add(prefix)
            number = next(self._ids)
        completion_tokens = _tokens(content)
        return {
            "id": f"chatcmpl-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "prompt_tokens_details": {"cached_tokens": cached},
            },
        }

    def _take_fault(self, task: str | None) -> Fault | None:
        with self._lock:
            for index, (wanted, fault) in enumerate(self._faults):
                if wanted is None or wanted == task:
                    del self._faults[index]
                    return fault
        return None

    def _roll(self) -> bool:
        with self._lock:
            return self._random.random() < self.failure_rate

    # --- files and batches ------------------------------------------------------------

    def _create_file(self, content: bytes, *, filename: str, purpose: str) -> dict[str, Any]:
        with self._lock:
            file_id = f"file-{next(self._ids)}"
            meta = {
                "id": file_id,
                "object": "file",
                "bytes": len(content),
                "created_at": int(time.time()),
                "filename": filename,
                "purpose": purpose,
                "status": "processed",
            }
            self._files[file_id] = (meta, content)
        return meta

    def _create_batch(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        input_id = body.get("input_file_id", "")
        if input_id not in self._files:
            return _error(400, f"No file with id {input_id}.")
        if body.get("endpoint") != "/v1/chat/completions":
            return _error(400, "Only /v1/chat/completions batches are supported here.")
        lines = [json.loads(line) for line in self._files[input_id][1].decode().splitlines() if line.strip()]
        with self._lock:
            batch_id = f"batch_{next(self._ids)}"
            data = {
                "id": batch_id,
                "object": "batch",
                "endpoint": body["endpoint"],
                "input_file_id": input_id,
                "completion_window": body.get("completion_window", "24h"),
                "status": "in_progress",
                "created_at": int(time.time()),
                "output_file_id": None,
                "error_file_id": None,
                "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
            }
            self._batches[batch_id] = _Batch(data=data, created=time.monotonic(), lines=lines)
        return 200, data, {}

    def _batch(self, batch_id: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        batch = self._batches.get(batch_id)
        if batch is None:
            return _error(404, f"No batch with id {batch_id}.")
        ready = (
            self.batch_completes_after is not None and time.monotonic() - batch.created >= self.batch_completes_after
        )
        if batch.data["status"] == "in_progress" and ready:
            self._complete(batch)
        return 200, batch.data, {}

    def _complete(self, batch: _Batch) -> None:
        outputs = []
        for line in batch.lines:
            body = line["body"]
            status, response, _ = self._chat(body, _task_of(body))
            outputs.append(
                {
                    "id": f"batch_req_{next(self._ids)}",
                    "custom_id": line["custom_id"],
                    "response": {"status_code": status, "request_id": f"req_{next(self._ids)}", "body": response},
                    "error": None,
                }
            )
        content = "\n".join(json.dumps(o) for o in outputs).encode()
        meta = self._create_file(content, filename="batch_output.jsonl", purpose="batch_output")
        batch.data.update(
            status="completed",
            output_file_id=meta["id"],
            request_counts={"total": len(outputs), "completed": len(outputs), "failed": 0},
        )

    def _cancel(self, batch_id: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        batch = self._batches.get(batch_id)
        if batch is None:
            return _error(404, f"No batch with id {batch_id}.")
        self.cancelled_batches.append(batch_id)
        if batch.data["status"] == "in_progress":
            batch.data["status"] = "cancelled"
        return 200, batch.data, {}

    # --- routing ----------------------------------------------------------------------

    def _handle(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, bytes, dict[str, str]]:
        body: Any = raw
        task = None
        if headers.get("content-type", "").startswith("application/json") and raw:
            body = json.loads(raw)
            task = _task_of(body) if path == "/v1/chat/completions" else None
        with self._lock:
            self.requests.append(RecordedRequest(method, path, headers, body, time.monotonic(), task))
        if self.api_key is not None and headers.get("authorization") != f"Bearer {self.api_key}":
            return _json(*_error(401, "Incorrect API key provided.", code="invalid_api_key"))
        if path == "/v1/chat/completions" and method == "POST":
            with self._lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                if self.latency:
                    time.sleep(self.latency)
                return _json(*self._chat(body, task))
            finally:
                with self._lock:
                    self.in_flight -= 1
        if not self.batches_supported and path.startswith(("/v1/files", "/v1/batches")):
            return _json(*_error(404, f"Unknown route {method} {path}."))
        if path == "/v1/files" and method == "POST":
            fields = _multipart(headers.get("content-type", ""), raw)
            name, content = fields.get("file", ("upload.jsonl", b""))
            purpose = fields.get("purpose", ("", b""))[1].decode()
            return _json(200, self._create_file(content, filename=name, purpose=purpose), {})
        if path == "/v1/batches" and method == "POST":
            return _json(*self._create_batch(body))
        parts = path.strip("/").split("/")
        if parts[:2] == ["v1", "files"] and len(parts) >= 3 and parts[2] in self._files:
            meta, content = self._files[parts[2]]
            if len(parts) == 4 and parts[3] == "content":
                return 200, content, {"Content-Type": "application/octet-stream"}
            return _json(200, meta, {})
        if parts[:2] == ["v1", "batches"] and len(parts) == 3 and method == "GET":
            return _json(*self._batch(parts[2]))
        if parts[:2] == ["v1", "batches"] and len(parts) == 4 and parts[3] == "cancel":
            return _json(*self._cancel(parts[2]))
        return _json(*_error(404, f"Unknown route {method} {path}."))


class _Server(ThreadingHTTPServer):
    """A thread per connection; a deep accept backlog, because a client opening many connections
    at once would otherwise see some refused and retried a second later (the default is 5)."""

    daemon_threads = True
    request_queue_size = 256


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, payload, extra = server._handle(method, self.path.split("?")[0], headers, raw)
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **extra}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            """Silence the per-request stderr log; tests read ``server.requests`` instead."""

    return Handler


def _json(status: int, payload: dict[str, Any], headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
    return status, json.dumps(payload).encode(), headers


def _error(
    status: int, message: str, *, retry_after: float | None = None, param: str | None = None, code: str | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    kind = {400: "invalid_request_error", 401: "invalid_request_error", 429: "rate_limit_exceeded"}.get(status)
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
    return (
        status,
        {"error": {"message": message, "type": kind or "server_error", "param": param, "code": code}},
        headers,
    )


def _task_of(body: dict[str, Any]) -> str | None:
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return response_format.get("json_schema", {}).get("name")
    system = next((m.get("content", "") for m in body.get("messages", []) if m.get("role") == "system"), "")
    match = _TASK_IN_PROMPT.search(str(system))
    return match.group(1) if match else None


def _chat_request(task: str, body: dict[str, Any]) -> ChatRequest:
    messages = body.get("messages", [])
    system = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
    user = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
    return ChatRequest(task=task, model=str(body.get("model", "")), system=system, user=user, body=body)


def _as_text(reply: dict[str, Any] | str) -> str:
    return reply if isinstance(reply, str) else json.dumps(reply, ensure_ascii=False)


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _multipart(content_type: str, raw: bytes) -> dict[str, tuple[str, bytes]]:
    """``{field: (filename, bytes)}`` of a multipart/form-data body (how the SDK uploads files)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    fields: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True) or b""
            fields[str(name)] = (part.get_filename() or "", payload)
    return fields


# --- strict structured outputs, checked as OpenAI does ------------------------------------


def strict_schema_problem(node: Any) -> str | None:
    """Why a strict schema would be refused (every object closed, every property required), or None."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            if node.get("additionalProperties") is not False:
                return "'additionalProperties' is required to be supplied and to be false"
            if sorted(node.get("required", [])) != sorted(node["properties"]):
                return "'required' is required to be supplied and to be an array including every key in properties"
        return next((p for v in node.values() if (p := strict_schema_problem(v))), None)
    if isinstance(node, list):
        return next((p for v in node if (p := strict_schema_problem(v))), None)
    return None


def reply_problem(value: Any, node: dict[str, Any], root: dict[str, Any]) -> str | None:
    """Where a reply breaks the schema (types, required and extra keys, enums), or None."""
    if "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    kind = node.get("type")
    if "enum" in node and value not in node["enum"]:
        return f"{value!r} is not one of {node['enum']}"
    if kind == "object":
        wanted = sorted(node.get("properties", {}))
        if not isinstance(value, dict) or sorted(value) != wanted:
            return f"{value!r} does not have exactly the keys {wanted}"
        return next((p for k, v in value.items() if (p := reply_problem(v, node["properties"][k], root))), None)
    if kind == "array":
        if not isinstance(value, list):
            return f"{value!r} is not an array"
        return next((p for v in value if (p := reply_problem(v, node.get("items", {}), root))), None)
    expected = {"string": str, "integer": int, "boolean": bool, "number": (int, float)}.get(str(kind))
    return f"{value!r} is not of type {kind}" if expected and not isinstance(value, expected) else None


# --- the default brain: a deterministic "model" that follows the task's JSON shape ------------

KEYWORD_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("healthcare", ("medical", "clinical", "patient", "disease", "health")),
    ("inference", ("quantiz", "speculative decoding", "kv cache", "inference acceleration", "latency", "pruning")),
    ("multimodal", ("vision-language", "multimodal", "multi-modal", "audio-language", "speech")),
    ("cv", ("image", "video", "segmentation", "detection", "point cloud", "3d")),
    ("rl", ("reinforcement", "robot", "policy", "control")),
    ("llm", ("language model", "llm", "reasoning", "text", "agent")),
    ("training", ("training", "fine-tun", "pre-train", "optimizer", "dataset")),
)
"""The default brain's categorization rule: first match on the title, then on the abstract."""


def default_brain(request: ChatRequest) -> dict[str, Any] | str:
    """Answers each of our tasks from the request's data only, like a well-behaved model."""
    handlers: dict[str, Callable[[ChatRequest], dict[str, Any]]] = {
        "CategorizationBatch": categorize_by_keywords,
        "CategoryDigest": summarize_by_quoting,
        "ChunkNotes": chunk_notes_by_quoting,
        "CategoryReduce": reduce_by_quoting,
        "PaperDigest": paper_by_quoting,
        "GroundedAnswer": answer_by_overlap,
        "SentenceRewrites": rewrite_without_numbers,
        "SearchTerms": search_terms_by_glossary,
    }
    handler = handlers.get(request.task)
    return handler(request) if handler else "{}"


def categorize_by_keywords(request: ChatRequest) -> dict[str, Any]:
    allowed = request.categories
    fallback = request.fallback_category or (allowed[-1] if allowed else "general")
    items = []
    for paper in request.papers:
        slug, reason = fallback, "no keyword matched"
        for text in (paper.title.lower(), paper.abstract.lower()):
            hit = next(((s, w) for s, words in KEYWORD_RULES if s in allowed for w in words if w in text), None)
            if hit:
                slug, reason = hit[0], f"mentions '{hit[1]}'"
                break
        items.append(
            {
                "id": paper.arxiv_id,
                "slug": slug,
                "relevance": 7,
                "reason": reason,
                "notability": notability_by_numbers(paper),
                "tldr": " ".join((_sentences(paper.abstract) or [paper.title])[0].split()[:30]),
            }
        )
    return {"items": items}


def notability_by_numbers(paper: PaperData) -> int:
    """The default brain's notability: 4, plus one per number the abstract snippet quotes (at most 10)."""
    return min(4 + len(re.findall(r"\d+(?:\.\d+)?", paper.abstract)), 10)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def _keywords(texts: list[str], limit: int = 6) -> list[str]:
    counts = Counter(w.lower() for text in texts for w in _WORD.findall(text))
    return [word for word, _ in counts.most_common(limit)]


def _facts(papers: list[PaperData], limit: int = 12) -> list[dict[str, str]]:
    return [{"id": p.arxiv_id, "fact": (_sentences(p.abstract) or [p.title])[0]} for p in papers[:limit]]


def _impact(papers: list[PaperData]) -> list[str]:
    return [(_sentences(p.abstract) or [p.title])[-1] for p in papers[:2]]


def summarize_by_quoting(request: ChatRequest) -> dict[str, Any]:
    papers = request.papers
    return {
        "main_themes": [p.title for p in papers[:3]],
        "keywords": _keywords([p.abstract for p in papers]),
        "key_facts": _facts(papers),
        "impact": _impact(papers),
        "outlook": "These papers point to steady progress in this area.",
    }


def chunk_notes_by_quoting(request: ChatRequest) -> dict[str, Any]:
    papers = request.papers
    return {
        "themes": [p.title for p in papers[:2]],
        "keywords": _keywords([p.abstract for p in papers]),
        "key_facts": _facts(papers, limit=6),
        "impact": _impact(papers),
    }


def reduce_by_quoting(request: ChatRequest) -> dict[str, Any]:
    facts = request.facts
    return {
        "main_themes": [text for _, text in facts[:3]],
        "keywords": _keywords([text for _, text in facts]),
        "key_fact_ids": [arxiv_id for arxiv_id, _ in facts[:12]],
        "impact": [text for _, text in facts[-2:]],
        "outlook": "These papers point to steady progress in this area.",
    }


def paper_by_quoting(request: ChatRequest) -> dict[str, Any]:
    paper = request.papers[0]
    sentences = _sentences(paper.abstract) or [paper.title]
    return {"tldr": sentences[0], "key_points": sentences[1:4], "keywords": _keywords([paper.abstract], limit=5)}


def answer_by_overlap(request: ChatRequest) -> dict[str, Any]:
    """Quote the passage sentence sharing most words with the question; unsupported below two."""
    wanted = {w.lower() for w in _WORD.findall(request.question)}
    best: tuple[int, str, str] = (0, "", "")
    for passage in request.passages:
        for sentence in _sentences(passage.abstract):
            overlap = len(wanted & {w.lower() for w in _WORD.findall(sentence)})
            if overlap > best[0]:
                best = (overlap, sentence, passage.arxiv_id)
    if best[0] < 2:
        return {"answer": "The papers do not say.", "cited_ids": [], "supported": False}
    return {"answer": f"{best[1]} [{best[2]}]", "cited_ids": [best[2]], "supported": True}


# What a model would make of a few Korean words; enough for questions about the test papers.
GLOSSARY = {
    "실패": "failure",
    "복구": "recovery",
    "회복": "recovery",
    "로봇": "robot",
    "언어": "language",
    "지도": "guidance",
    "에이전트": "agent",
    "양자화": "quantization",
    "의료": "medical",
}


def search_terms_by_glossary(request: ChatRequest) -> dict[str, Any]:
    """English terms for the question's words found in :data:`GLOSSARY`, in question order, plus any
    Latin-script names it already has."""
    question = request.question
    found = sorted((question.find(word), english) for word, english in GLOSSARY.items() if word in question)
    return {"terms": [english for _, english in found] + _WORD.findall(question)}


def rewrite_without_numbers(request: ChatRequest) -> dict[str, Any]:
    """Rewrite each sentence with its digits removed, as a careful model would when told to."""
    return {
        "sentences": [
            {"index": index, "text": " ".join(re.sub(r"\d[\d.,]*\s*%?", "", text).split())}
            for index, text in request.sentences
        ]
    }
