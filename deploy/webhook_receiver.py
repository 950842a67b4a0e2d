"""A webhook receiver to try the platform's webhooks with: it prints each delivery and whether its
signature verifies (Standard Webhooks, the ``whsec_...`` secret the gateway showed when the endpoint
was made), and answers 204, or 401 when the signature does not verify (the gateway then retries).

    python -m deploy.webhook_receiver --port 9999 --secret whsec_...

then register ``http://127.0.0.1:9999/hooks`` as a webhook endpoint (README, docs/services/gateway.md).
Without ``--secret`` it prints the deliveries and says it cannot verify them. It listens on loopback
unless ``--host`` says otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TextIO

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

MAX_SHOWN = 2000  # characters of a delivery's body printed


def describe(headers: dict[str, str], body: bytes, verifier: Webhook | None) -> tuple[bool, str]:
    """Whether the delivery verifies, and the lines printed for it."""
    lines = [
        f"{datetime.now(UTC).isoformat(timespec='seconds')}  delivery {headers.get('webhook-id', '?')}"
        f"  ({len(body)} bytes)"
    ]
    verified = False
    if verifier is None:
        lines.append("  signature: not checked (start with --secret whsec_... to verify)")
    else:
        try:
            verifier.verify(body, headers)
            verified = True
            lines.append("  signature: verified")
        except WebhookVerificationError as error:
            lines.append(f"  signature: DOES NOT VERIFY ({error})")
    try:
        payload = json.loads(body)
        if isinstance(payload, dict) and "type" in payload:
            lines.append(f"  type: {payload['type']}")
        text = json.dumps(payload, ensure_ascii=False, indent=2)
    except ValueError:
        text = body.decode("utf-8", errors="replace")
    lines += ["  " + line for line in text[:MAX_SHOWN].splitlines()]
    if len(text) > MAX_SHOWN:
        lines.append(f"  ... ({len(text) - MAX_SHOWN} more characters)")
    return verified or verifier is None, "\n".join(lines)


def make_handler(verifier: Webhook | None, out: TextIO) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            accepted, text = describe(headers, body, verifier)
            print(text, file=out, flush=True)
            self.send_response(204 if accepted else 401)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
            pass  # each delivery is printed above, once

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.webhook_receiver", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=9999)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--secret", help="the endpoint's whsec_... secret, to verify each delivery")
    args = parser.parse_args(argv)
    verifier = Webhook(args.secret) if args.secret else None
    server = ThreadingHTTPServer((args.host, args.port), make_handler(verifier, sys.stdout))
    print(f"receiving webhooks at http://{args.host}:{server.server_port}/hooks (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
