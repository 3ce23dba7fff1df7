"""The inbound header firewall and Exchange's stamps (semantics.md §c, §h; HFW, STAMPS).

At end of DATA, in Exchange's order:
1. Header firewall: `X-MS-Exchange-Organization-*` removed unless the session holds
   ms-Exch-Accept-Headers-Organization, `X-MS-Exchange-Forest-*` unless ms-Exch-Accept-Headers-Forest,
   `Received` and `Resent-*` unless ms-Exch-Accept-Headers-Routing — so outsiders cannot forge SCL or AuthAs.
2. Sender resolution ("P2"): when the session holds ms-Exch-SMTP-Accept-Authentication-Flag (externally
   secured / Exchange servers), a header From whose address is a known mailbox is rewritten to show the
   mailbox's display name, as Exchange resolves internal senders against the GAL.
3. Stamps: a `Received:` line on top, then at the end of the header block
   `X-MS-Exchange-Organization-AuthSource` (this server's FQDN), `-AuthAs` (Internal for sessions holding
   Accept-Authentication-Flag, else Anonymous), `-AuthMechanism` (`10` for externally secured sessions,
   as rafaelpfister.ch reports for ExternalAuthoritative; `04` for Exchange-server auth; anonymous
   sessions get no AuthMechanism header — Exchange stamps it only for authenticated submissions),
   `-SCL` (-1 when the session holds ms-Exch-Bypass-Anti-Spam, else a 0-9 content score) and
   `-Antispam-Report` (`MessageSecurityAntispamBypass` when bypassed, per STAMPS).
"""

from __future__ import annotations

import email.utils
import re
import time
from dataclasses import dataclass
from typing import Protocol
from collections.abc import Iterable

from exshell.model.mailbox import DirectoryEntry

RIGHT_HEADERS_ROUTING = "ms-Exch-Accept-Headers-Routing"
RIGHT_HEADERS_ORG = "ms-Exch-Accept-Headers-Organization"
RIGHT_HEADERS_FOREST = "ms-Exch-Accept-Headers-Forest"
RIGHT_BYPASS_ANTISPAM = "ms-Exch-Bypass-Anti-Spam"
RIGHT_AUTH_FLAG = "ms-Exch-SMTP-Accept-Authentication-Flag"

_ORG = b"x-ms-exchange-organization-"
_FOREST = b"x-ms-exchange-forest-"


class Directory(Protocol):
    """The mailbox directory: model.mailbox.MailboxDirectory, rebuilt with each configuration version."""

    def entry(self, addr: str) -> DirectoryEntry | None: ...


class EmptyDirectory:
    def entry(self, addr: str) -> DirectoryEntry | None:
        return None


@dataclass(frozen=True, slots=True)
class StampContext:
    """What the stamping needs to know about the session."""

    helo: str
    remote_ip: str
    fqdn: str  # this server's FQDN (AuthSource, Received by)
    message_id: str  # the ESMTP id in Received
    rights: frozenset[str]  # names of the GRANTED rights
    externally_secured: bool
    received: str  # RFC 5322 date
    recipient: str | None = None  # the single recipient for Received `for`, when there is one
    auth_mechanism: str | None = None  # an SMTP AUTH logon: its AuthMechanism code (`06`), AuthAs Internal
    with_protocol: str = "ESMTP"  # Received `with` (RFC 3848: ESMTPS after STARTTLS, ESMTPSA authenticated)
    add_message_id: str | None = None  # a Message-ID to add (the message had none); without < >


@dataclass(frozen=True, slots=True)
class StampResult:
    data: bytes
    scl: int
    auth_as: str
    removed: tuple[str, ...]  # names of the headers the firewall removed
    resolved_sender: str | None


def split_message(data: bytes) -> tuple[list[bytes], bytes]:
    """Split raw bytes into header fields (each with its folded continuation lines, CRLF kept) and the body
    (starting with the blank separator line). A message with no blank line is all headers. Linear in the size
    of the header (continuation lines are collected and joined once, never appended to a growing string)."""
    fields: list[list[bytes]] = []
    pos = 0
    n = len(data)
    body = b""
    while pos < n:
        end = data.find(b"\n", pos)
        line_end = n if end < 0 else end + 1
        line = data[pos:line_end]
        if line in (b"\r\n", b"\n"):
            body = data[pos:]
            break
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
        elif b":" in line:
            fields.append([line])
        else:
            # Not a header line: the header block ended without a blank line (RFC 5322 §2.1 allows none).
            body = b"\r\n" + data[pos:]
            break
        pos = line_end
    return [b"".join(f) for f in fields], body


def _name(field: bytes) -> bytes:
    return field.split(b":", 1)[0].strip().lower()


def firewall(fields: Iterable[bytes], rights: frozenset[str]) -> tuple[list[bytes], list[str]]:
    fields = list(fields)
    kept, _names, removed = _firewall(fields, [_name(f) for f in fields], rights)
    return kept, removed


def _firewall(fields: list[bytes], names: list[bytes], rights: frozenset[str]
              ) -> tuple[list[bytes], list[bytes], list[str]]:
    """The fields kept, their names, and the names of those removed (`names[i]` is `_name(fields[i])`)."""
    keep_org = RIGHT_HEADERS_ORG in rights
    keep_forest = RIGHT_HEADERS_FOREST in rights
    keep_routing = RIGHT_HEADERS_ROUTING in rights
    kept: list[bytes] = []
    kept_names: list[bytes] = []
    removed: list[str] = []
    for f, name in zip(fields, names):
        drop = (
            (name.startswith(_ORG) and not keep_org)
            or (name.startswith(_FOREST) and not keep_forest)
            or ((name == b"received" or name.startswith(b"resent-")) and not keep_routing)
        )
        if drop:
            removed.append(f.split(b":", 1)[0].decode("ascii", "replace").strip())
        else:
            kept.append(f)
            kept_names.append(name)
    return kept, kept_names, removed


_SPAM_WORDS = (
    b"viagra", b"lottery", b"winner", b"free money", b"click here", b"act now", b"100% free",
    b"risk-free", b"casino", b"bitcoin investment", b"urgent reply", b"limited time",
)


def content_scl(fields: list[bytes], body: bytes, names: list[bytes] | None = None) -> int:
    """A deliberately tiny content heuristic standing in for the Content Filter agent: 0 (clean) to 9.
    `names`: the fields' names (`_name`), when the caller has them already."""
    score = 0
    if names is None:
        names = [_name(f) for f in fields]
    if b"date" not in names:
        score += 1
    if b"message-id" not in names:
        score += 1
    subject = b"".join(f.split(b":", 1)[1] for f, n in zip(fields, names) if n == b"subject").strip()
    letters = [c for c in subject if 65 <= c <= 90 or 97 <= c <= 122]
    if len(letters) >= 8 and all(65 <= c <= 90 for c in letters):
        score += 2
    if subject.count(b"!") >= 3:
        score += 1
    text = (subject + b" " + body[:65536]).lower()
    score += 2 * sum(1 for w in _SPAM_WORDS if w in text)
    return min(score, 9)


_FROM_ADDR = re.compile(rb"<([^<>]+)>")


def resolve_sender(fields: list[bytes], directory: Directory, names: list[bytes] | None = None
                   ) -> tuple[list[bytes], str | None]:
    """Rewrite the header From to the mailbox's display name when the address is a known mailbox."""
    for i, f in enumerate(fields):
        if (names[i] if names is not None else _name(f)) != b"from":
            continue
        value = f.split(b":", 1)[1].decode("utf-8", "replace").strip()
        _, addr = email.utils.parseaddr(value)
        if not addr:
            return fields, None
        entry = directory.entry(addr)
        if entry is None:
            return fields, None
        new = "From: " + email.utils.formataddr((entry.display_name, entry.address)) + "\r\n"
        out = list(fields)
        out[i] = new.encode("utf-8")
        return out, entry.address
    return fields, None


def stamp(data: bytes, ctx: StampContext, directory: Directory | None = None) -> StampResult:
    fields, body = split_message(data)
    head = stamp_head(fields, body[:65536], ctx, directory)
    return StampResult(head.data + (body if body else b"\r\n"), head.scl, head.auth_as, head.removed,
                       head.resolved_sender)


def stamp_head(fields: list[bytes], body_head: bytes, ctx: StampContext,
               directory: Directory | None = None, names: list[bytes] | None = None) -> StampResult:
    """The stamped header block (without the separator line) from the received fields (CRLF kept) and the
    start of the body (for the content score). `ctx.add_message_id` adds the Message-ID a message lacked.
    `names`: the fields' names (`_name`), when the caller has them already (the DATA reader does)."""
    if names is None:  # once: the firewall, the sender and the content score all need them
        names = [_name(f) for f in fields]
    fields, names, removed = _firewall(fields, names, ctx.rights)
    resolved = None
    if (RIGHT_AUTH_FLAG in ctx.rights or ctx.auth_mechanism) and directory is not None:
        fields, resolved = resolve_sender(fields, directory, names)  # replaces a From field by a From field
    bypass = RIGHT_BYPASS_ANTISPAM in ctx.rights
    scl = -1 if bypass else content_scl(fields, body_head, names)
    auth_as = "Internal" if RIGHT_AUTH_FLAG in ctx.rights or ctx.auth_mechanism else "Anonymous"
    helo = ctx.helo or ctx.remote_ip
    received = (
        f"Received: from {helo} ([{ctx.remote_ip}]) by {ctx.fqdn} (exshell) with {ctx.with_protocol} id {ctx.message_id}"
        + (f"\r\n\tfor <{ctx.recipient}>" if ctx.recipient else "")
        + f"; {ctx.received}\r\n"
    )
    stamps = []
    if ctx.add_message_id:
        stamps.append(f"Message-ID: <{ctx.add_message_id}>")
    stamps += [
        f"X-MS-Exchange-Organization-AuthSource: {ctx.fqdn}",
        f"X-MS-Exchange-Organization-AuthAs: {auth_as}",
    ]
    if ctx.externally_secured:
        stamps.append("X-MS-Exchange-Organization-AuthMechanism: 10")
    elif ctx.auth_mechanism:
        stamps.append(f"X-MS-Exchange-Organization-AuthMechanism: {ctx.auth_mechanism}")
    elif auth_as == "Internal":
        stamps.append("X-MS-Exchange-Organization-AuthMechanism: 04")
    stamps.append(f"X-MS-Exchange-Organization-SCL: {scl}")
    if bypass:
        stamps.append("X-MS-Exchange-Organization-Antispam-Report: MessageSecurityAntispamBypass")
    else:
        stamps.append(f"X-MS-Exchange-Organization-Antispam-Report: SCL:{scl};CIP:{ctx.remote_ip};H:{helo}")
    # Keep the original message's line ends for the header we add at the end of the block.
    fixed = [f if f.endswith(b"\n") else f + b"\r\n" for f in fields]
    out = (
        received.encode("utf-8", "replace")
        + b"".join(fixed)
        + "".join(s + "\r\n" for s in stamps).encode("utf-8")
    )
    return StampResult(out, scl, auth_as, tuple(removed), resolved)


def strip_organization_headers(data: bytes) -> bytes:
    """The header firewall on the way out of the organization (HFW: a send connector without
    ms-Exch-Send-Headers-Organization / -Forest, i.e. any non-Exchange next hop): every
    `X-MS-Exchange-Organization-*` (AuthAs, SCL, the anti-spam report with the client's IP, ...) and
    `X-MS-Exchange-Forest-*` field is removed; Received and the rest stay as they are."""
    fields, body = split_message(data)
    kept = [f for f in fields if not (_name(f).startswith(_ORG) or _name(f).startswith(_FOREST))]
    if len(kept) == len(fields):
        return data
    return b"".join(f if f.endswith(b"\n") else f + b"\r\n" for f in kept) + (body if body else b"\r\n")


_now: tuple[int, str] = (-1, "")


def rfc2822_now() -> str:
    """The current local time as RFC 5322 writes it (second resolution), formatted once per second: the
    greeting and the Received stamp ask for it on every connection and message."""
    global _now
    second = int(time.time())
    if _now[0] != second:
        _now = (second, email.utils.formatdate(second, localtime=True))
    return _now[1]
