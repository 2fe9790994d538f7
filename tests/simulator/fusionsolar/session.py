"""Login, logout, and the checks every other route makes first.

Session or bearer token, rights, flow control.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
import secrets
from typing import Any

from aiohttp import web

from .flow_control import LOGIN_WINDOW, RULES
from .plant import SimAccount
from .protocol import Refusal, envelope, json_body, request_params
from .state import SimulatorState

SESSION_IDLE = timedelta(minutes=30)
LOCK_OUT = timedelta(minutes=30)

CONTROL_ROUTES = {
    "battery_mode_task",
    "battery_mode_task_info",
    "battery_config_task",
    "battery_config_task_info",
    "power_control_task",
    "power_control_task_info",
    "charge_discharge_task",
    "charge_discharge_status",
}
"""Routes an OAuth Connect token needs the pvms.openapi.control scope for."""


class SessionRoutes(SimulatorState):
    """The login and logout routes, and the wrapper of every other route."""

    async def login(self, request: web.Request) -> web.Response:
        """Log a northbound user in: the token comes as header and cookie."""
        now = self.clock.now()
        body = await json_body(request)
        account = self.accounts.get(str(body.get("userName")))
        if account is not None:
            if account.locked_until is not None and now < account.locked_until:
                return web.json_response(
                    envelope(fail_code=20403, message="LOGIN_RESTRICTED", now=now)
                )
            if not self._allow(account, "login", now):
                return self._too_frequent(now)
        if account is None or body.get("systemCode") != account.password:
            if account is not None:
                self._count_failure(account, now)
            if self.wrong_password_answer == "empty":
                return web.Response(status=200, body=b"")
            code = int(self.wrong_password_answer)
            return web.json_response(
                envelope(fail_code=code, message="USER_OR_VALUE_INVALID", now=now)
            )
        account.failed_logins.clear()
        account.token = f"x-{secrets.token_hex(24)}"
        account.token_used = now
        response = web.json_response(envelope())
        if self.token_in_header:
            response.headers["xsrf-token"] = account.token
        response.headers["Set-Cookie"] = f"XSRF-TOKEN={account.token};Path=/;Secure"
        return response

    def _count_failure(self, account: SimAccount, now: datetime) -> None:
        account.failed_logins.append(now)
        while account.failed_logins and account.failed_logins[0] <= now - LOGIN_WINDOW:
            account.failed_logins.popleft()
        if len(account.failed_logins) >= 5:
            account.locked_until = now + LOCK_OUT

    async def logout(self, request: web.Request) -> web.Response:
        """End a session."""
        now = self.clock.now()
        token = (await json_body(request)).get("xsrfToken")
        for account in self.accounts.values():
            if account.token is not None and account.token == token:
                if not self._allow(account, "logout", now):
                    return self._too_frequent(now)
                account.token = None
                return web.json_response(envelope(now=now))
        return web.json_response(envelope(fail_code=20001, now=now))

    def _authed(
        self,
        name: str,
        handler: Callable[[SimAccount, dict[str, Any], datetime], Any],
    ) -> Callable[[web.Request], Any]:
        """Wrap a handler: session or bearer token, rights, flow control."""

        async def route(request: web.Request) -> web.Response:
            now = self.clock.now()
            account, scope = self._account_of(request, now)
            if account is None and "Authorization" in request.headers:
                return web.json_response({"error": "invalid_token"}, status=401)
            if account is None:
                return web.json_response(
                    {
                        "failCode": 305,
                        "immediately": True,
                        "message": "USER_MUST_RELOGIN",
                    }
                )
            if name in account.denied or (
                scope is not None
                and name in CONTROL_ROUTES
                and "pvms.openapi.control" not in scope.split()
            ):
                return web.json_response(
                    envelope(fail_code=401, message="NO_PERMISSION", now=now)
                )
            if name in account.owner_denied:
                return web.json_response(
                    envelope(
                        fail_code=20056, message="NOT_AUTHORIZED_BY_OWNER", now=now
                    )
                )
            if not self._allow(account, name, now):
                return self._too_frequent(now)
            body = await json_body(request)
            try:
                result = handler(account, body, now)
            except Refusal as refusal:
                return refusal.response
            if isinstance(result, web.Response):
                return result
            return web.json_response(
                envelope(result, params=request_params(body), now=now)
            )

        return route

    def _account_of(
        self, request: web.Request, now: datetime
    ) -> tuple[SimAccount | None, str | None]:
        if (issued := self.oauth.bearer(request)) is not None:
            return self.accounts.get(issued.subject), issued.scope
        token = request.headers.get("XSRF-TOKEN")
        for account in self.accounts.values():
            if token is not None and account.token == token:
                if (
                    account.token_used is None
                    or now - account.token_used > SESSION_IDLE
                ):
                    account.token = None
                    return None, None
                account.token_used = now
                return account, None
        return None, None

    def _allow(self, account: SimAccount, name: str, now: datetime) -> bool:
        if not self.enforce_flow_control or (rule := RULES.get(name)) is None:
            return True
        calls = account.calls.setdefault(name, deque())
        horizon = now - max(rule.window, rule.spacing)
        while calls and calls[0] <= horizon:
            calls.popleft()
        in_window = sum(1 for at in calls if at > now - rule.window)
        too_soon = bool(calls) and rule.spacing and now - calls[-1] < rule.spacing
        if in_window >= rule.calls(account) or too_soon:
            account.refused += 1
            return False
        calls.append(now)
        return True

    def _too_frequent(self, now: datetime) -> web.Response:
        return web.json_response(
            envelope("ACCESS_FREQUENCY_IS_TOO_HIGH", fail_code=407, now=now)
        )
