"""Get-MessageTrackingLog: searches `<state>/logs/MessageTracking/MSGTRK*.LOG` (cmdlets.md §7.4).

Output field names are the log's with the dashes removed, except date-time → Timestamp, recipient-address →
Recipients and sender-address → Sender. Start is inclusive and End exclusive; ResultSize defaults to 1000.
"""

from __future__ import annotations

from typing import Any

from exshell.cmdlets.base import Cmdlet, Example, Parameter, T
from exshell.cmdlets.exchange_support import on_this_server
from exshell.output.views import Column, TableView, register_view
from exshell.runtime.values import PSObject

TRACKING_TYPE = "Microsoft.Exchange.Management.TransportLogSearchTasks.MessageTrackingEvent"
_RESULT_SIZE = T.custom(
    "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]",
    lambda v: None if str(v).lower() == "unlimited" else int(v),
    display="Unlimited",
)
_EVENT_IDS = (
    "RECEIVE",
    "SEND",
    "DELIVER",
    "FAIL",
    "DSN",
    "DEFER",
    "EXPAND",
    "REDIRECT",
    "RESOLVE",
    "SUBMIT",
    "TRANSFER",
    "DROP",
    "POISONMESSAGE",
    "BADMAIL",
)

register_view(
    TRACKING_TYPE,
    TableView(
        (
            Column("Timestamp"),
            Column("EventId"),
            Column("Source"),
            Column("Sender"),
            Column("Recipients"),
            Column("MessageSubject"),
        )
    ),
)


class GetMessageTrackingLog(Cmdlet):
    name = "Get-MessageTrackingLog"
    synopsis = "Searches the message tracking log: what was received, sent, delivered, deferred or bounced."
    output_type = TRACKING_TYPE
    parameters = (
        Parameter("Sender", T.STRING, help="The envelope sender (exact address)."),
        Parameter("Recipients", T.STRINGS, help="Any of these recipient addresses."),
        Parameter("MessageId", T.STRING, help="The Message-ID header, with or without < >."),
        Parameter("InternalMessageId", T.STRING, help="The server's InternalId of the message."),
        Parameter("EventId", T.STRING, help="RECEIVE, SEND, DELIVER, FAIL, DSN, DEFER, ..."),
        Parameter("Source", T.STRING, help="SMTP, STOREDRIVER, DSN, ROUTING, QUEUE, ADMIN, ..."),
        Parameter("MessageSubject", T.STRING, help="Part of the subject."),
        Parameter("Start", T.DATETIME, help="From this time (inclusive)."),
        Parameter("End", T.DATETIME, help="Until this time (exclusive)."),
        Parameter("ResultSize", _RESULT_SIZE, help="How many entries (default 1000, or unlimited)."),
        Parameter("Server", T.STRINGS, pipeline=True,
                  help="On a shared store (--store postgresql://...): these servers (default: every server of the "
                  "fleet). On a state folder: this shell's server only."),
        Parameter("DomainController", T.STRING, help="Accepted for compatibility."),
    )
    examples = (
        Example(
            "Get-MessageTrackingLog -Sender scanner@contoso.com -Start (Get-Date).AddHours(-1)",
            "What the scanner sent in the last hour.",
        ),
        Example(
            "Get-MessageTrackingLog -EventId FAIL | fl Timestamp,Recipients,RecipientStatus",
            "Why messages bounced.",
        ),
    )
    related = ("Get-Queue", "Get-Message")

    def process(self) -> None:
        # Lazy: the engine's code, only for the commands that use it.
        from exshell.transport.delivery import tracking

        p = self.params
        fleet = _fleet_entries(self)
        if fleet is None:
            if not on_this_server(self, "message tracking logs"):
                return
            source = tracking.read_entries(self.runtime.services.state_dir)
        elif fleet is False:
            return
        else:
            source = fleet
        limit = p.get("ResultSize", 1000) if p.is_bound("ResultSize") else 1000
        entries = tracking.search(
            source,
            sender=p.get("Sender"),
            recipients=tuple(p.get("Recipients") or ()),
            message_id=p.get("MessageId"),
            internal_message_id=p.get("InternalMessageId"),
            event_id=p.get("EventId"),
            source=p.get("Source"),
            subject=p.get("MessageSubject"),
            start=p.get("Start"),
            end=p.get("End"),
            result_size=limit,
        )
        for e in entries:
            props: dict[str, Any] = e.to_properties()
            props["Timestamp"] = (
                props["Timestamp"].astimezone().replace(tzinfo=None)
            )  # local, as the shell shows
            self.write_object(
                PSObject(
                    props,
                    type_names=(TRACKING_TYPE, "System.Object"),
                    to_string=f"{props['EventId']} {props['MessageId']}",
                )
            )


def _fleet_entries(cmdlet: Cmdlet) -> Any:
    """On a shared store: the rows every engine of the fleet mirrored into it, of the -Server servers (all
    when not given); False after reporting an unknown server. None on a state folder (the local log)."""
    services = cmdlet.runtime.services
    if not getattr(services, "store_spec", None):
        return None
    store = services.store
    rows = getattr(store, "tracking_rows", None)
    if rows is None:
        return None
    # Lazy: loaded when this command runs, not at start-up.
    from exshell.cmdlets.exchange_support import current_config, not_found
    from exshell.transport.delivery import tracking

    names: list[str] | None = None
    wanted = cmdlet.params.get("Server")
    if wanted:
        config = current_config(cmdlet)
        names = []
        for ident in wanted if isinstance(wanted, (list, tuple)) else [wanted]:
            server = config.server(str(ident))
            if server is None:
                not_found(cmdlet, "server", str(ident))
                return False
            names.append(server.name)
    return (e for _server, fields in rows(names) if (e := tracking.entry_of(fields)) is not None)
