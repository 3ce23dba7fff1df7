"""The engine's stand-in for aiosmtpd's per-connection `inspect.getmembers` keeps aiosmtpd's AUTH table
exactly as aiosmtpd computes it (only faster)."""

from __future__ import annotations

import asyncio
import inspect

import exshell.transport.session  # noqa: F401 - installs the stand-in


def test_aiosmtpd_auth_table_is_the_same_with_the_fast_member_listing():
    from aiosmtpd.smtp import SMTP

    class Handler:
        async def auth_CUSTOM(self, server, args):  # noqa: ANN001, ANN201, N802
            return None

    async def build() -> SMTP:
        return SMTP(Handler())

    session = asyncio.run(build())
    expected = {
        getattr(fn, "__auth_mechanism_name__", name.replace("auth_", "").replace("__", "-"))
        for obj in (session, session.event_handler)
        for name, fn in inspect.getmembers(obj)
        if name.startswith("auth_")
    }
    assert set(session._auth_methods) == expected and "CUSTOM" in expected and "LOGIN" in expected
