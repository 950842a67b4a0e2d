"""A street office's system on loopback, receiving webhooks: answers with the statuses queued (204
when none), and records what it took."""

from __future__ import annotations

from tests.support.loopback import LoopbackServer, QuietHandler


class Receiver(LoopbackServer):
    """A street office's system on loopback: answers with the statuses queued, records what came."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers["content-length"]))
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                if 200 <= status < 300:
                    receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

        super().__init__(Handler)
        self.url = f"{self.base_url}/hooks"
