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

RESULT_TYPE = "Exshell.RelayPolicyResult"


def _register_views() -> None:
    from exshell.output.views import ListView, register_view

    register_view(
        RESULT_TYPE,
        ListView(("Server", "LocalEndPoint", "RemoteIPAddress", "Connector", "LosingConnectors", "Principal",
                  "Rights", "Connect", "MailFrom", "RcptTo", "Data", "Tarpit", "Reasons")),
    )


try:
    _register_views()
except ImportError:  # pragma: no cover - the output layer is optional for the policy's own tests
    pass


def _size(value: Any) -> int:
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
    )
    examples = (
        Example("Test-RelayPolicy 192.168.1.100 -LocalEndPoint 192.168.1.17:25 -Sender app@contoso.com "
                "-Recipient someone@fabrikam.com",
                "Shows whether 192.168.1.100 may relay to fabrikam.com through 192.168.1.17:25, and why."),
        Example("Test-RelayPolicy 10.1.1.1", "Shows which connector serves 10.1.1.1 on each binding of this server."),
    )
    related = ("Get-ReceiveConnector", "Get-ADPermission", "Add-ADPermission")

    def process(self) -> None:
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
        index = PolicyIndex.build(config, server, version=snap.version)
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
        from exshell.runtime.values import PSObject
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
            ("LosingConnectors", [f"{l.identity}: {why}" for l, why in connect.losers]),
            ("Principal", connect.principal),
            ("Rights", [
                f"{right} {'Allow' if g.granted else 'Deny'} ({g.origin})" for right, g in connect.rights.items()
            ]),
            ("Connect", str(connect.reply)),
        ]
        mail_reply = rcpt_replies = data_reply = None
        tarpit = None
        if c is not None:
            mail = decide(index, local, remote, "mail", sender=sender or "", size=size)
            mail_reply = str(mail.reply)
            reasons.append(f"MAIL FROM: {mail.reason}")
            failures = [] if mail.accepted else [mail]
            if mail.accepted and recipients:
                rcpt_replies = []
                accepted = 0
                for r in recipients:
                    d = decide(index, local, remote, "rcpt", recipient=str(r), recipients_so_far=accepted)
                    rcpt_replies.append(f"{r}: {d.reply}")
                    reasons.append(f"RCPT TO {r}: {d.reason}")
                    if d.accepted:
                        accepted += 1
                    else:
                        failures.append(d)
                if accepted:
                    end = decide(index, local, remote, "data_end", size=size)
                    data_reply = "250 2.6.0 Queued mail for delivery" if end.accepted else str(end.reply)
                    reasons.append(f"end of DATA: {end.reason}")
                    if not end.accepted:
                        failures.append(end)
            if any(f.tarpit for f in failures):
                interval = getattr(c, "tarpit_interval", None)
                tarpit = interval.log_form() if hasattr(interval, "log_form") else str(failures[0].tarpit)
        props += [("MailFrom", mail_reply), ("RcptTo", rcpt_replies), ("Data", data_reply), ("Tarpit", tarpit),
                  ("Reasons", reasons)]
        return PSObject(props, type_names=[RESULT_TYPE, "System.Management.Automation.PSCustomObject",
                                           "System.Object"])
