"""WeChat mini-program login: ``wx.login`` code → openid/unionid through ``jscode2session``."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from shared.errors import ServiceUnavailable, TooManyRequests, Unauthorized

log = logging.getLogger(__name__)

# https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html
INVALID_CODE = {40029, 40163}  # invalid code, code already used
RATE_LIMITED = 45011
RISKY_USER = 40226
BUSY = -1


@dataclass(frozen=True)
class WechatSession:
    openid: str
    unionid: str | None


class WechatClient:
    def __init__(
        self,
        *,
        appid: str,
        secret: str,
        api_base: str = "https://api.weixin.qq.com",
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.appid = appid
        self._secret = secret
        self._client = httpx.AsyncClient(base_url=api_base, timeout=timeout, transport=transport)

    async def code_to_session(self, code: str) -> WechatSession:
        params = {"appid": self.appid, "secret": self._secret, "js_code": code, "grant_type": "authorization_code"}
        try:
            response = await self._client.get("/sns/jscode2session", params=params)
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ServiceUnavailable("WeChat could not be reached, try again later") from exc
        errcode = int(answer.get("errcode") or 0)
        if errcode == 0 and answer.get("openid"):
            return WechatSession(openid=str(answer["openid"]), unionid=answer.get("unionid"))
        log.warning("jscode2session refused", extra={"errcode": errcode, "errmsg": answer.get("errmsg")})
        if errcode in INVALID_CODE:
            raise Unauthorized("the WeChat login code is invalid or already used")
        if errcode == RISKY_USER:
            raise Unauthorized("WeChat refused this login (high-risk user)")
        if errcode == RATE_LIMITED:
            raise TooManyRequests("too many WeChat logins, try again in a minute", retry_after=60)
        raise ServiceUnavailable("WeChat is busy, try again later")

    async def close(self) -> None:
        await self._client.aclose()
