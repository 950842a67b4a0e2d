"""python -m deploy.webhook_receiver, as README has a user run it: a real process on loopback that
prints each delivery, says whether its Standard Webhooks signature verifies, and refuses (401) one
that does not, so that the gateway retries it."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

SECRET = "whsec_" + base64.b64encode(b"a secret of the receiver's own!!").decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def signed(payload: dict[str, object], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload, ensure_ascii=False).encode()
    now = datetime.now(UTC)
    signature = Webhook(secret).sign("msg_1", now, body.decode())
    return body, {"webhook-id": "msg_1", "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signature}


@pytest.mark.no_db
def test_it_prints_deliveries_and_verifies_their_signatures() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "deploy.webhook_receiver", "--port", str(port), "--secret", SECRET],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "receiving webhooks at" in proc.stdout.readline()
        url = f"http://127.0.0.1:{port}/hooks"
        body, headers = signed({"type": "order.placed", "data": {"title": "义剪"}})
        assert httpx.post(url, content=body, headers=headers).status_code == 204
        other = "whsec_" + base64.b64encode(b"somebody else's secret, not ours").decode()
        body, headers = signed({"type": "order.rated"}, secret=other)
        assert httpx.post(url, content=body, headers=headers).status_code == 401
        time.sleep(0.3)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert "signature: verified" in out and "type: order.placed" in out and "义剪" in out
    assert "signature: DOES NOT VERIFY" in out and "type: order.rated" in out
