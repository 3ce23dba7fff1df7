"""Test-RelayPolicy: which connector a host reaches, with which rights, and what each SMTP step would answer.

Admins otherwise find out with telnet and protocol logs (user-needs.md #6, #7, #10, #15, #18, #23). The cmdlet
calls the engine's own `exshell.transport.policy.decide` on the current store version, so its answer is the
engine's answer; nothing is sent over the network and the host's address need not be added anywhere.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from exshell.cmdlets.base import Cmdlet, Example, Parameter, T
from exshell.errors import Category
from exshell.output.views import Column, ListView, TableView, register_list_view, register_view
from exshell.runtime.values import PSObject

RESULT_TYPE = "Exshell.RelayPolicyResult"


_LIST_PROPERTIES = ("Server", "LocalEndPoint", "RemoteIPAddress", "Connector", "LosingConnectors", "Principal",
                    "Rights", "Connect", "Ehlo", "StartTls", "Auth", "NotInForce", "MailFrom", "RcptTo", "Data",
                    "Tarpit", "Reasons")


def _code(reply: Any) -> str:
    """The reply code of an SMTP reply text (`530 5.7.1 ...` → `530`), for the table."""
    return str(reply).split(" ", 1)[0] if reply else ""


def _codes(replies: Any) -> str:
    """`b@fabrikam.com: 250 2.1.5 Recipient OK` per recipient → their codes, `250, 550`."""
    return ", ".join(_code(str(r).rsplit(": ", 1)[-1] if ": " in str(r) else r) for r in replies or ())


def _reason(obj: Any, step: str) -> str:
    for line in obj.get("Reasons") or ():
        if str(line).startswith(step):
            return str(line)[len(step):].lstrip(": ")
    return ""


def _short(obj: Any, reason: str) -> str:
    """A reason without what the row's own columns already say (the principal first, the connector last)."""
    principal, connector = str(obj.get("Principal") or ""), str(obj.get("Connector") or "")
    if principal and reason.startswith(principal + " "):
        reason = reason[len(principal) + 1:]
    if connector and reason.endswith(" on " + connector):
        reason = reason[: -len(connector) - 4]
    return reason


def result_summary(obj: Any) -> str:
    """One line: how far the session gets, and why it stops there."""
    if obj.get("Connector") is None:
        return f"No connector: {_reason(obj, 'connect')}"
    mail = obj.get("MailFrom")
    if not str(mail or "").startswith("2"):
        return f"Refused at MAIL FROM: {_short(obj, _reason(obj, 'MAIL FROM') or str(mail))}"
    recipients = [str(r).split(": ", 1) for r in obj.get("RcptTo") or ()]
    refused = [r[0] for r in recipients if len(r) == 2 and not r[1].startswith("2")]
    if refused:
        return f"Refused at RCPT TO {refused[0]}: {_short(obj, _reason(obj, 'RCPT TO ' + refused[0]))}"
    data = obj.get("Data")
    if recipients and data and not str(data).startswith("2"):
        return f"Refused at end of DATA: {_short(obj, _reason(obj, 'end of DATA'))}"
    if not recipients:
        return "Accepted at MAIL FROM (no -Recipient given)"
    first = _reason(obj, "RCPT TO " + recipients[0][0]).split(":", 1)[0]
    return f"Accepted ({first})" if first else "Accepted"


def _lines(name: str) -> Any:
    """A multi-valued property one item per line (Format-List shows the whole list, never `…`)."""

    def get(obj: Any) -> Any:
        value = obj.get(name)
        if isinstance(value, (list, tuple)):
            return "\n".join(str(v) for v in value) if value else None
        return value

    return get


def _register_views() -> None:
    # Default: one row per local endpoint, how far a session gets; Format-List tells the whole story.
    register_view(
        RESULT_TYPE,
        TableView((
            Column("LocalEndPoint"),
            Column("Connector"),
            Column("Principal"),
            Column("MailFrom", property=lambda o: _code(o.get("MailFrom"))),
            Column("RcptTo", property=lambda o: _codes(o.get("RcptTo"))),
            Column("Result", property=result_summary),
        )),
    )
    register_list_view(
        RESULT_TYPE,
        ListView((Column("Result", property=result_summary),)
                 + tuple(Column(p, property=_lines(p)) for p in _LIST_PROPERTIES)),
    )


_register_views()


def _size(value: Any) -> int:
    # Lazy: a model module loads with the objects it decodes.
    from exshell.model.size import ByteQuantifiedSize

    return ByteQuantifiedSize.parse(value).bytes


def _ip(value: Any) -> None:
    try:
        ipaddress.ip_address(str(value).split("%", 1)[0])
    except ValueError:
        raise ValueError(f'"{value}" is not a valid IP address.') from None


class TestRelayPolicy(Cmdlet):
    __test__ = False  # not a pytest class, whatever its name says

    name = "Test-RelayPolicy"
    synopsis = "Shows the receive connector, rights and SMTP replies a remote host would get, without sending mail."
    description = (
        "Evaluates the engine's relay decision for a remote IP address: the connector that wins (most specific "
        "RemoteIPRanges on the local endpoint) and the ones that lost, the security principal of the session, "
        "its effective extended rights with the origin of each (permission group, explicit ACE, Deny), and the "
        "reply the connection, MAIL FROM, each RCPT TO and the end of DATA would receive. Without "
        "-LocalEndPoint every binding of the server is evaluated."
    )
    output_type = RESULT_TYPE
    parameters = (
        Parameter("RemoteIPAddress", T.STRING, position=0, mandatory=True, validate=_ip,
                  help="The client's address, e.g. 192.168.1.100."),
        Parameter("LocalEndPoint", T.STRING, help="The local IP:port the client connects to, e.g. 192.168.1.17:25."),
        Parameter("Sender", T.STRING, help="The MAIL FROM address (empty for the null sender <>)."),
        Parameter("Recipient", T.STRINGS, help="One or more RCPT TO addresses."),
        Parameter("Server", T.STRING, completer="server", help="The server whose connectors are evaluated."),
        Parameter("MessageSize", T.custom("Microsoft.Exchange.Data.ByteQuantifiedSize", _size,
                                          display="ByteQuantifiedSize"),
                  help="The message size (SIZE= on MAIL FROM and the size at the end of DATA), e.g. 10MB."),
        Parameter("AuthenticatedAs", T.STRING, completer="mailbox",
                  help="The session logs on (AUTH LOGIN) as this mailbox: name, alias or address."),
        Parameter("Tls", T.SWITCH, help="The session has done STARTTLS first."),
    )
    examples = (
        Example("Test-RelayPolicy 192.168.1.100 -LocalEndPoint 192.168.1.17:25 -Sender app@contoso.com "
                "-Recipient someone@fabrikam.com",
                "Shows whether 192.168.1.100 may relay to fabrikam.com through 192.168.1.17:25, and why."),
        Example("Test-RelayPolicy 10.1.1.1", "Shows which connector serves 10.1.1.1 on each binding of this server."),
        Example("Test-RelayPolicy 192.168.1.50 -LocalEndPoint 0.0.0.0:587 -Tls -AuthenticatedAs copier "
                "-Sender copier@contoso.com -Recipient someone@fabrikam.com",
                "What EHLO offers after STARTTLS, whether AUTH as copier succeeds, and whether it may then relay."),
    )
    related = ("Get-ReceiveConnector", "Get-ADPermission", "Add-ADPermission")

    def process(self) -> None:
        # Lazy: loaded when this command runs, not at start-up.
        from exshell.model.binding import IPBinding
        from exshell.model.config import Config
        from exshell.transport.policy import PolicyIndex

        services = self.runtime.services
        server = self.params.get("Server") or services.server_name or ""
        remote = str(self.params["RemoteIPAddress"]).split("%", 1)[0]
        try:
            snap = services.store.snapshot()
            config = Config.from_data(snap.data)
        except Exception as e:  # store / model errors are the user's data problems: one PowerShell error
            self.throw_terminating(str(e), "ConfigurationUnreadable,Test-RelayPolicy", Category.ReadError)
            return
        # Lazy: a model module loads with the objects it decodes.
        from exshell.model.certificate import certificates_from_data

        index = PolicyIndex.build(config, server, version=snap.version, certificates=certificates_from_data(snap.data))
        if self.params.get("AuthenticatedAs"):
            # Lazy: the engine's code, only for the commands that use it.
            from exshell.transport.auth import find_mailbox

            if find_mailbox(index, str(self.params["AuthenticatedAs"])) is None:
                self.throw_terminating(
                    f"The operation couldn't be performed because object '{self.params['AuthenticatedAs']}' couldn't "
                    f"be found on '{index.server_name}'.", "ManagementObjectNotFoundException,Test-RelayPolicy",
                    Category.ObjectNotFound, self.params["AuthenticatedAs"])
                return
        if self.params.is_bound("LocalEndPoint"):
            try:
                b = IPBinding.parse(str(self.params["LocalEndPoint"]))
            except ValueError as e:
                self.throw_terminating(str(e), "InvalidLocalEndPoint,Test-RelayPolicy", Category.InvalidArgument,
                                       self.params["LocalEndPoint"])
                return
            endpoints = [(b.address, b.port)]
        else:
            family = ipaddress.ip_address(remote).version
            mapped = getattr(ipaddress.ip_address(remote), "ipv4_mapped", None)
            if mapped is not None:
                family = 4
            endpoints = sorted({(b.address, b.port) for b in index.bindings() if b.version == family},
                               key=lambda e: (e[1], e[0]))
            if not endpoints:
                self.write_error(
                    f"The server {index.server_name} has no enabled receive connector listening for IPv{family} "
                    "clients.", "NoReceiveConnector,Test-RelayPolicy", Category.ObjectNotFound, remote)
                return
        results = [self._evaluate(index, ep, remote) for ep in endpoints]
        reachable = [r for r in results if r.get("Connector") is not None]
        for r in reachable or results:
            self.write_object(r)

    def _evaluate(self, index: Any, local: tuple[str, int], remote: str) -> Any:
        # Lazy: the engine's code, only for the commands that use it.
        from exshell.transport.policy import decide

        sender = self.params.get("Sender")
        recipients = list(self.params.get("Recipient") or [])
        size = self.params.get("MessageSize")
        connect = decide(index, local, remote, "connect", explain=True)
        c = connect.connector
        endpoint = f"[{local[0]}]:{local[1]}" if ":" in local[0] else f"{local[0]}:{local[1]}"
        reasons = [f"connect: {connect.reason}"]
        props: list[tuple[str, Any]] = [
            ("Server", index.server_name),
            ("LocalEndPoint", endpoint),
            ("RemoteIPAddress", remote),
            ("Connector", c.identity if c is not None else None),
            ("LosingConnectors", [f"{loser.identity}: {why}" for loser, why in connect.losers]),
            ("Principal", connect.principal),
            ("Rights", [
                f"{right} {'Allow' if g.granted else 'Deny'} ({g.origin})" for right, g in connect.rights.items()
            ]),
            ("Connect", str(connect.reply)),
        ]
        mail_reply = rcpt_replies = data_reply = None
        tarpit = None
        security, auth_args = _security_of(self, index, c, reasons)
        props += security
        # The view adds Ehlo (keywords, after STARTTLS with -Tls), StartTls (reply and certificate), Auth (the reply
        # for -AuthenticatedAs) and NotInForce (AuthMechanism values this server doesn't implement).
        tls_done = bool(self.params.get("Tls")) and c is not None and index.tls_certificate(c)[0] is not None
        if c is not None and getattr(c, "require_tls", False) and not tls_done:
            # Lazy: the engine's code, only for the commands that use it.
            from exshell.transport import replies as R

            props += [("MailFrom", str(R.MUST_ISSUE_STARTTLS)), ("RcptTo", None), ("Data", None), ("Tarpit", None),
                      ("Reasons", reasons + ["MAIL FROM: RequireTLS is $true and the session hasn't done STARTTLS"])]
            return PSObject(props, type_names=[RESULT_TYPE, "System.Management.Automation.PSCustomObject",
                                               "System.Object"])
        if c is not None:
            mail = decide(index, local, remote, "mail", sender=sender or "", size=size, **auth_args)
            mail_reply = str(mail.reply)
            reasons.append(f"MAIL FROM: {mail.reason}")
            failures = [] if mail.accepted else [mail]
            if mail.accepted and recipients:
                rcpt_replies = []
                accepted = 0
                for r in recipients:
                    d = decide(index, local, remote, "rcpt", recipient=str(r), recipients_so_far=accepted, **auth_args)
                    rcpt_replies.append(f"{r}: {d.reply}")
                    reasons.append(f"RCPT TO {r}: {d.reason}")
                    if d.accepted:
                        accepted += 1
                    else:
                        failures.append(d)
                if accepted:
                    end = decide(index, local, remote, "data_end", size=size, **auth_args)
                    data_reply = "250 2.6.0 Queued mail for delivery" if end.accepted else str(end.reply)
                    reasons.append(f"end of DATA: {end.reason}")
                    if not end.accepted:
                        failures.append(end)
            if any(f.tarpit for f in failures):
                interval: Any = getattr(c, "tarpit_interval", None)
                tarpit = interval.log_form() if hasattr(interval, "log_form") else str(failures[0].tarpit)
        if auth_args:  # the session's rights after the logon
            props = [(k, v) for k, v in props if k not in ("Principal", "Rights")]
            rights = index.rights_for(c, auth_args["authenticated_as"], auth_args["authenticated_as"])
            props.insert(5, ("Principal", f"{auth_args['authenticated_as']}, NT AUTHORITY\\Authenticated Users"))
            props.insert(6, ("Rights", [f"{r} {'Allow' if g.granted else 'Deny'} ({g.origin})"
                                        for r, g in rights.items()]))
        props += [("MailFrom", mail_reply), ("RcptTo", rcpt_replies), ("Data", data_reply), ("Tarpit", tarpit),
                  ("Reasons", reasons)]
        return PSObject(props, type_names=[RESULT_TYPE, "System.Management.Automation.PSCustomObject",
                                           "System.Object"])


def _security_of(cmdlet: Any, index: Any, c: Any, reasons: list[str]) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
    """Ehlo / StartTls / Auth / NotInForce for the session the parameters describe, and the `decide` arguments
    of its logon (empty when it stays anonymous)."""
    # Lazy: the engine's code, only for the commands that use it.
    from exshell.transport import auth as A
    from exshell.transport import replies as R
    from exshell.transport.smtp_security import ehlo_extensions

    if c is None:
        return [("Ehlo", None), ("StartTls", None), ("Auth", None), ("NotInForce", None)], {}
    tls = bool(cmdlet.params.get("Tls"))
    cert, why = index.tls_certificate(c)
    if cert is None:
        starttls = str(R.UNRECOGNIZED_COMMAND) + f" (STARTTLS is not offered: {why})"
        reasons.append(f"STARTTLS: not offered: {why}")
        if tls:
            reasons.append("-Tls: the session can't do STARTTLS on this connector; evaluated without TLS")
            tls = False
    else:
        starttls = f"{R.STARTTLS_READY} (certificate {cert.thumbprint}, {cert.subject})"
        reasons.append(f"STARTTLS: {why}")
    user = cmdlet.params.get("AuthenticatedAs")
    auth_reply = None
    args: dict[str, Any] = {}
    if user:
        mechanisms = A.offered(c, tls)
        mailbox = A.find_mailbox(index, str(user))
        if getattr(c, "require_tls", False) and not tls:
            auth_reply = str(R.MUST_ISSUE_STARTTLS)
            reasons.append("AUTH: RequireTLS is $true; STARTTLS comes first")
        elif "LOGIN" not in mechanisms:
            auth_reply = str(R.AUTH_UNRECOGNIZED)
            reasons.append("AUTH: " + ("BasicAuth is not in the connector's AuthMechanism"
                                       if "BasicAuth" not in c.auth_mechanism else
                                       "BasicAuthRequireTLS: basic authentication is offered only after STARTTLS (-Tls)"))
        elif not getattr(mailbox, "password_hash", None) and not getattr(mailbox, "password_ref", None):
            auth_reply = str(R.AUTH_FAILED)
            reasons.append(f"AUTH: the mailbox {mailbox.name} has no password (Set-Mailbox -Password)")  # type: ignore[union-attr]
        else:
            principal = A.principal_of(index, mailbox)
            rights = index.rights_for(c, principal, principal)
            g = rights.get("ms-Exch-SMTP-Submit")
            if g is None or not g.granted:
                auth_reply = str(R.AUTH_FAILED)
                reasons.append(f"AUTH: {principal} lacks ms-Exch-SMTP-Submit on {c.identity}")
            else:
                auth_reply = f"{R.AUTH_OK} (with the right password)"
                reasons.append(f"AUTH: {principal} logs on; its rights plus NT AUTHORITY\\Authenticated Users'")
                args = {"authenticated_as": principal,
                        "send_as": frozenset(a.lower() for a in mailbox.all_addresses)}  # type: ignore[union-attr]
    ehlo = ehlo_extensions(index, c, starttls=cert is not None, tls_active=tls, authenticated=False)
    return ([("Ehlo", ehlo), ("StartTls", starttls), ("Auth", auth_reply), ("NotInForce", A.not_in_force(c) or None)],
            args)
