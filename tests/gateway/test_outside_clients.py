"""The real WeChat and SMS clients against recorded answers (httpx.MockTransport)."""

from __future__ import annotations

import json

import httpx
import pytest

from gateway.auth.sms import HttpSmsSender
from gateway.auth.wechat import WechatClient
from shared.errors import DomainError, ServiceUnavailable, TooManyRequests, Unauthorized

pytestmark = [pytest.mark.no_db]


def wechat_answering(body: dict, seen: list[httpx.Request] | None = None) -> WechatClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(200, json=body)

    return WechatClient(appid="wx123", secret="s3cret", transport=httpx.MockTransport(handler))


async def test_jscode2session_success_returns_openid_and_unionid() -> None:
    seen: list[httpx.Request] = []
    client = wechat_answering({"openid": "oAbc", "session_key": "k", "unionid": "uXyz"}, seen)
    session = await client.code_to_session("081code")
    assert (session.openid, session.unionid) == ("oAbc", "uXyz")
    params = seen[0].url.params
    assert seen[0].url.path == "/sns/jscode2session"
    assert (params["appid"], params["secret"], params["js_code"], params["grant_type"]) == (
        "wx123", "s3cret", "081code", "authorization_code",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("errcode", "error"),
    [
        (40029, Unauthorized),
        (40163, Unauthorized),
        (40226, Unauthorized),
        (45011, TooManyRequests),
        (-1, ServiceUnavailable),
    ],
)
async def test_jscode2session_error_codes(errcode: int, error: type[DomainError]) -> None:
    client = wechat_answering({"errcode": errcode, "errmsg": "recorded"})
    with pytest.raises(error):
        await client.code_to_session("bad")


async def test_wechat_unreachable_is_503() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = WechatClient(appid="wx", secret="s", transport=httpx.MockTransport(handler))
    with pytest.raises(ServiceUnavailable):
        await client.code_to_session("x")


def sms_answering(status: int, body: dict, seen: list[httpx.Request]) -> HttpSmsSender:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=body)

    return HttpSmsSender(
        url="https://sms.example/send", api_key="k", sign_name="网格治理", template="T1",
        transport=httpx.MockTransport(handler),
    )  # fmt: skip


async def test_sms_provider_gets_the_code_and_the_key() -> None:
    seen: list[httpx.Request] = []
    await sms_answering(200, {"Code": "OK"}, seen).send_code("13900000001", "123456")
    sent = json.loads(seen[0].content)
    assert sent == {"phone": "13900000001", "sign_name": "网格治理", "template": "T1", "params": {"code": "123456"}}
    assert seen[0].headers["authorization"] == "Bearer k"


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控"}, TooManyRequests),
        (429, {"Code": "Throttling"}, TooManyRequests),
        (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL"}, ServiceUnavailable),
        (500, {}, ServiceUnavailable),
    ],
)
async def test_sms_provider_refusals(status: int, body: dict, error: type[DomainError]) -> None:
    with pytest.raises(error):
        await sms_answering(status, body, []).send_code("13900000001", "123456")
