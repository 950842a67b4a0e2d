"""Sending login codes by SMS: a console sender for development, an HTTP provider for real.

The HTTP provider contract (configured by ``GATEWAY_SMS_PROVIDER_URL`` and ``..._API_KEY``): POST
JSON ``{"phone", "sign_name", "template", "params": {"code"}}`` with a bearer key; the provider
answers JSON with ``"Code": "OK"`` on success (the shape of the common Chinese SMS gateways),
or an error code and message.
"""

from __future__ import annotations

import logging
from typing import Protocol

import httpx

from shared.errors import ServiceUnavailable, TooManyRequests
from shared.pii import mask_phone

log = logging.getLogger(__name__)


class SmsSender(Protocol):
    async def send_code(self, phone: str, code: str) -> None: ...


class ConsoleSmsSender:
    """Development only: the code goes to the gateway's log, next to the masked number."""

    async def send_code(self, phone: str, code: str) -> None:
        log.warning("development SMS: login code %s for %s", code, mask_phone(phone))


class HttpSmsSender:
    def __init__(
        self,
        *,
        url: str,
        api_key: str,
        sign_name: str,
        template: str,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self.sign_name = sign_name
        self.template = template
        self._client = httpx.AsyncClient(
            timeout=timeout, transport=transport, headers={"Authorization": f"Bearer {api_key}"}
        )

    async def send_code(self, phone: str, code: str) -> None:
        body = {"phone": phone, "sign_name": self.sign_name, "template": self.template, "params": {"code": code}}
        try:
            response = await self._client.post(self.url, json=body)
        except httpx.HTTPError as exc:
            log.warning("SMS provider unreachable", extra={"error": type(exc).__name__})
            raise ServiceUnavailable("the SMS service is unavailable, try again later") from exc
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        result = str(answer.get("Code", ""))
        if response.status_code == 200 and result == "OK":
            return
        log.warning(
            "SMS provider refused",
            extra={"status": response.status_code, "provider_code": result, "phone": mask_phone(phone)},
        )
        if response.status_code == 429 or "LIMIT" in result.upper():
            raise TooManyRequests("too many codes sent to this number, try again later", retry_after=60)
        raise ServiceUnavailable("the SMS service could not send the code, try again later")

    async def close(self) -> None:
        await self._client.aclose()
