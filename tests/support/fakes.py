"""Simulated parties: WeChat's jscode2session and an SMS provider, which we cannot reach from here, and
the gateway's account lookup as the services ask it. Real HTTP servers on loopback, answering as the
real ones document."""

from __future__ import annotations

import json
import threading
from urllib.parse import parse_qs, urlparse

from tests.support.loopback import LoopbackServer, QuietHandler


class FakeOutsideWorld(LoopbackServer):
    """``wx-<name>`` codes log in as openid ``openid-<name>``; ``wx-busy`` answers -1; other codes
    40029. SMS sends are recorded in ``sent`` (phone → last code) and answered ``{"Code": "OK"}``, except
    to the numbers in ``refused``, which the provider refuses (``isv.MOBILE_NUMBER_ILLEGAL``)."""

    def __init__(self) -> None:
        self.sent: dict[str, str] = {}
        self.refused: set[str] = set()
        self.wechat_calls = 0
        world = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                url = urlparse(self.path)
                if url.path != "/sns/jscode2session":
                    self._answer(404, {"errcode": 404})
                    return
                world.wechat_calls += 1
                code = parse_qs(url.query).get("js_code", [""])[0]
                if code == "wx-busy":
                    self._answer(200, {"errcode": -1, "errmsg": "system error"})
                elif code.startswith("wx-") and len(code) > 3:
                    self._answer(
                        200, {"openid": f"openid-{code[3:]}", "session_key": "x", "unionid": f"union-{code[3:]}"}
                    )
                else:
                    self._answer(200, {"errcode": 40029, "errmsg": "invalid code"})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path != "/sms/send" or self.headers.get("authorization") != "Bearer sms-test-key":
                    self._answer(401, {"Code": "InvalidAccessKeyId"})
                    return
                if body["phone"] in world.refused:
                    self._answer(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "refused"})
                    return
                world.sent[body["phone"]] = body["params"]["code"]
                self._answer(200, {"Code": "OK", "Message": "OK", "RequestId": "fake"})

        super().__init__(Handler)

    def gateway_env(self) -> dict[str, str]:
        return {
            "GATEWAY_WECHAT_APPID": "wx-test-appid",
            "GATEWAY_WECHAT_SECRET": "wx-test-secret",
            "GATEWAY_WECHAT_API_BASE": self.base_url,
            "GATEWAY_SMS_PROVIDER_URL": f"{self.base_url}/sms/send",
            "GATEWAY_SMS_PROVIDER_API_KEY": "sms-test-key",
        }


class FakeGateway(LoopbackServer):
    """The gateway's ``GET /api/v1/accounts/{id}`` as a service asks it with its caller's token: 200 for
    the ids in ``accounts`` (any id while ``knows_any``), 404 for the others, 401 without a bearer token,
    500 while ``failing``. Each question's (account id, Authorization header) is kept in ``asked``."""

    PREFIX = "/api/v1/accounts/"

    def __init__(self) -> None:
        self.accounts: set[str] = set()
        self.knows_any = False
        self.failing = False
        self.asked: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        gateway = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                path = urlparse(self.path).path
                if not path.startswith(gateway.PREFIX) or "/" in path[len(gateway.PREFIX) :]:
                    self._answer(404, {"status": 404, "title": "Not found"})
                    return
                account_id = path[len(gateway.PREFIX) :]
                authorization = self.headers.get("authorization", "")
                with gateway._lock:
                    gateway.asked.append((account_id, authorization))
                if not authorization.startswith("Bearer "):
                    self._answer(401, {"status": 401, "title": "Unauthorized"})
                elif gateway.failing:
                    self._answer(500, {"status": 500, "title": "Internal Server Error"})
                elif gateway.knows_any or account_id in gateway.accounts:
                    self._answer(200, {"id": account_id, "display_name": "某人", "enabled": True, "roles": {}})
                else:
                    self._answer(404, {"status": 404, "title": "Not found"})

        super().__init__(Handler)

    def reset(self) -> None:
        with self._lock:
            self.accounts, self.knows_any, self.failing, self.asked = set(), False, False, []
