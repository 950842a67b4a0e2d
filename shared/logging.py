"""JSON logs on stdout, one object a line, each with the request id of the request it belongs to."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

from shared.context import current_request_id

_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key[0] != "_":
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class _Direct:
    """The handler ``configure_logging`` installed, for the access log's lines."""

    handler: logging.StreamHandler | None = None
    service = ""


_access = logging.getLogger("access")


def log_access(method: str, path: str, status: int, duration_ms: float) -> None:
    """The access log's line for a request: the same JSON line the formatter writes for
    ``logging.getLogger("access").info("request", extra=...)``, written straight to the handler
    ``configure_logging`` installed while it is the only one; through ``logging`` otherwise (a test's
    capture, another configuration). A line per request through ``logging`` (a record, its dict walked,
    the handler's lock) cost more CPU than some reads' own work."""
    handler = _Direct.handler
    root_handlers = logging.root.handlers
    if (
        handler is None
        or len(root_handlers) != 1
        or root_handlers[0] is not handler
        or _access.handlers
        or _access.disabled
        or not _access.isEnabledFor(logging.INFO)
    ):
        _access.info("request", extra={"method": method, "path": path, "status": status, "duration_ms": duration_ms})
        return
    entry: dict[str, Any] = {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": "info",
        "service": _Direct.service,
        "logger": "access",
        "msg": "request",
    }
    request_id = current_request_id()
    if request_id:
        entry["request_id"] = request_id
    entry["method"], entry["path"], entry["status"], entry["duration_ms"] = method, path, status, duration_ms
    line = orjson.dumps(entry, default=str).decode() + handler.terminator
    handler.acquire()
    try:
        handler.stream.write(line)
        handler.stream.flush()
    finally:
        handler.release()


def configure_logging(service: str, level: str = "INFO") -> None:
    # What the JSON lines never show, not worked out for every record (the logging module's documented
    # optimisations: the caller's file and line, thread and process names). The access log writes a
    # line per request, and finding the caller walked the stack each time.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    _Direct.handler, _Direct.service = handler, service
    root.setLevel(level.upper())
    # uvicorn's own access log would repeat ours without the request id.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every request it makes at INFO (the revocation poll every 30 s, each peer call): the
    # answering process logs those requests itself.
    logging.getLogger("httpx").setLevel(logging.WARNING)
