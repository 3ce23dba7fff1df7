"""Header firewall and stamping (exshell/transport/headers.py)."""

from __future__ import annotations

from exshell.transport.headers import DirectoryEntry, StampContext, stamp

MSG = (
    b"Received: from evil ([6.6.6.6])\r\n"
    b"X-MS-Exchange-Organization-SCL: -1\r\n"
    b"X-MS-Exchange-Organization-AuthAs: Internal\r\n"
    b"X-MS-Exchange-Forest-RulesExecuted: x\r\n"
    b"Resent-From: a@b.example\r\n"
    b"From: Someone <bharat@domain.example>\r\n"
    b"Subject: hello\r\n"
    b"\r\n"
    b"body line\r\n"
)

ANON_RIGHTS = frozenset({"ms-Exch-SMTP-Submit", "ms-Exch-Accept-Headers-Routing"})
SECURED_RIGHTS = frozenset({
    "ms-Exch-SMTP-Submit", "ms-Exch-Accept-Headers-Routing", "ms-Exch-Bypass-Anti-Spam",
    "ms-Exch-SMTP-Accept-Authentication-Flag",
})


def ctx(rights, secured=False):
    return StampContext("device.example", "127.0.0.100", "ex01.domain.example", "abc", rights, secured,
                        "Sat, 28 Nov 2026 05:00:00 +0000")


def header_values(data: bytes, name: str) -> list[str]:
    head = data.split(b"\r\n\r\n", 1)[0].decode()
    return [line.split(":", 1)[1].strip() for line in head.split("\r\n") if line.lower().startswith(name.lower() + ":")]


def test_anonymous_session_cannot_forge_organization_or_forest_headers():
    out = stamp(MSG, ctx(ANON_RIGHTS)).data
    assert header_values(out, "X-MS-Exchange-Organization-AuthAs") == ["Anonymous"]
    assert header_values(out, "X-MS-Exchange-Forest-RulesExecuted") == []
    scl = header_values(out, "X-MS-Exchange-Organization-SCL")
    assert len(scl) == 1 and 0 <= int(scl[0]) <= 9


def test_routing_headers_removed_without_accept_headers_routing():
    out = stamp(MSG, ctx(frozenset({"ms-Exch-SMTP-Submit"}))).data
    received = header_values(out, "Received")
    assert len(received) == 1 and "by ex01.domain.example (exshell)" in received[0]
    assert header_values(out, "Resent-From") == []


def test_routing_headers_kept_with_accept_headers_routing():
    out = stamp(MSG, ctx(ANON_RIGHTS)).data
    assert len(header_values(out, "Received")) == 2 and header_values(out, "Resent-From")


def test_externally_secured_session_is_internal_with_scl_minus_one_and_mechanism_10():
    out = stamp(MSG, ctx(SECURED_RIGHTS, secured=True)).data
    assert header_values(out, "X-MS-Exchange-Organization-AuthAs") == ["Internal"]
    assert header_values(out, "X-MS-Exchange-Organization-SCL") == ["-1"]
    assert header_values(out, "X-MS-Exchange-Organization-AuthMechanism") == ["10"]
    assert header_values(out, "X-MS-Exchange-Organization-AuthSource") == ["ex01.domain.example"]
    assert out.endswith(b"\r\n\r\nbody line\r\n")


class OneMailbox:
    def entry(self, addr):
        if addr.lower() == "bharat@domain.example":
            return DirectoryEntry("bharat@domain.example", "Bharat Kumar")
        return None


def test_sender_resolved_to_display_name_only_with_authentication_flag():
    resolved = stamp(MSG, ctx(SECURED_RIGHTS, secured=True), OneMailbox())
    assert header_values(resolved.data, "From") == ["Bharat Kumar <bharat@domain.example>"]
    assert resolved.resolved_sender == "bharat@domain.example"
    anonymous = stamp(MSG, ctx(ANON_RIGHTS), OneMailbox())
    assert header_values(anonymous.data, "From") == ["Someone <bharat@domain.example>"]
    assert anonymous.resolved_sender is None


def test_spammy_content_scores_higher_than_clean_content():
    clean = stamp(b"Date: x\r\nMessage-ID: <a@b>\r\nSubject: report\r\n\r\nhello\r\n", ctx(ANON_RIGHTS)).scl
    spam = stamp(b"Subject: FREE MONEY WINNER!!!\r\n\r\nclick here lottery viagra\r\n", ctx(ANON_RIGHTS)).scl
    assert clean < spam <= 9 and clean >= 0
