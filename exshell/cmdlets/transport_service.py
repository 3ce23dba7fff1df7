"""Get-/Set-TransportService (Exchange 2013+) and Get-/Set-TransportServer (2007/2010): one server's transport
settings — the message tracking and protocol logs, retries, expiry, delay notices, outbound connections
(tls-auth.md §4). A setting changed here applies to that server only; one never set on a server is the
organization-wide value (Set-TransportConfig keeps its old timer parameters as that default)."""

from __future__ import annotations

from typing import Any

from exshell.cmdlets.base import Cmdlet, Example, Parameter, T
from exshell.cmdlets.exchange_objects import _psobject
from exshell.cmdlets.exchange_support import (
    TIMESPAN,
    UNLIMITED_INT,
    UNLIMITED_SIZE,
    ConfigCmdlet,
    current_config,
    not_found,
)
from exshell.model.config import TRANSPORT_SERVICES
from exshell.model.errors import ModelError

TRANSPORT_SERVICE_TYPE = "Microsoft.Exchange.Data.Directory.SystemConfiguration.TransportServer"

_SETTINGS = (
    Parameter("MessageTrackingLogEnabled", T.BOOL, help="Write the message tracking log."),
    Parameter("MessageTrackingLogMaxAge", TIMESPAN, help="Tracking log files older than this are deleted."),
    Parameter("MessageTrackingLogMaxDirectorySize", UNLIMITED_SIZE,
              help="The tracking log folder is kept below this size, oldest files deleted first."),
    Parameter("ReceiveProtocolLogMaxAge", TIMESPAN, help="Receive protocol log files older than this are deleted."),
    Parameter("ReceiveProtocolLogMaxDirectorySize", UNLIMITED_SIZE,
              help="The receive protocol log folder is kept below this size, oldest files deleted first."),
    Parameter("SendProtocolLogMaxAge", TIMESPAN, help="Send protocol log files older than this are deleted."),
    Parameter("SendProtocolLogMaxDirectorySize", UNLIMITED_SIZE, help="Limit of the send protocol log folder."),
    Parameter("MessageRetryInterval", TIMESPAN, help="Time between delivery retries."),
    Parameter("TransientFailureRetryCount", T.INT, help="Quick retries (0-15) before MessageRetryInterval applies."),
    Parameter("TransientFailureRetryInterval", TIMESPAN, help="Interval of the quick retries."),
    Parameter("OutboundConnectionFailureRetryInterval", TIMESPAN,
              help="Retry interval after a failed outbound connection."),
    Parameter("MessageExpirationTimeout", TIMESPAN, help="How long a message may stay queued (default 2 days)."),
    Parameter("DelayNotificationTimeout", TIMESPAN, help="When the sender is told a message is delayed."),
    Parameter("MaxOutboundConnections", UNLIMITED_INT,
              help="Outbound SMTP connections open at once from this server, idle kept ones included "
                   "(default 1000); applies from the delivery service's next pass."),
    Parameter("MaxPerDomainOutboundConnections", UNLIMITED_INT,
              help="Outbound SMTP connections open at once to one destination: a smart-host send connector, or "
                   "one recipient domain with DNS routing (default 40); connections over a lowered limit close."),
)
# Log folders are fixed under the state folder: a path is refused rather than silently ignored.
_PATHS = {
    "MessageTrackingLogPath": ("logs", "MessageTracking"),
    "ReceiveProtocolLogPath": ("logs", "ProtocolLog", "SmtpReceive"),
    "SendProtocolLogPath": ("logs", "ProtocolLog", "SmtpSend"),
}
_PATH_PARAMETERS = tuple(
    Parameter(name, T.STRING, help="Shown by Get-; exshell keeps its logs under the state folder, so a path is refused.")
    for name in _PATHS
)
_NAMES = {p.name: p.name for p in _SETTINGS}


def service_object(cmdlet: Cmdlet, config: Any, server: Any) -> Any:
    # Lazy: a model module loads with the objects it decodes.
    from exshell.model.transport_service import PROPERTIES

    settings = config.settings_for(server.name)
    props: dict[str, Any] = {"Name": server.name, "Identity": server.name}
    state = cmdlet.runtime.services.state_dir
    for name, parts in _PATHS.items():
        props[name] = str(state.joinpath(*parts))
    for p in PROPERTIES:
        props[p.name] = getattr(settings, p.field)
    return _psobject(props, TRANSPORT_SERVICE_TYPE, server.name)


class GetTransportService(Cmdlet):
    name = "Get-TransportService"
    synopsis = "Shows a server's transport settings (logs, retries, expiry, outbound connections)."
    output_type = TRANSPORT_SERVICE_TYPE
    parameters = (
        Parameter("Identity", T.STRING, position=0, pipeline=True, by_property_name=True, completer="server",
                  help="Server name or FQDN (default: every server)."),
        Parameter("DomainController", T.STRING, help="Accepted for compatibility."),
    )
    examples = (Example("Get-TransportService EX01 | Format-List MessageTrackingLog*",
                        "The tracking log settings of EX01."),)

    def process(self) -> None:
        config = current_config(self)
        ident = self.params.get("Identity")
        servers = config.servers
        if ident:
            server = config.server(str(ident))
            if server is None:
                not_found(self, "server", str(ident))
                return
            servers = (server,)
        for server in servers:
            self.write_object(service_object(self, config, server))


class GetTransportServer(GetTransportService):
    name = "Get-TransportServer"
    synopsis = "Shows a server's transport settings (the Exchange 2007/2010 name of Get-TransportService)."
    examples = (Example("Get-TransportServer EX01 | Format-List MessageRetryInterval",
                        "EX01's retry interval."),)


class SetTransportService(ConfigCmdlet):
    name = "Set-TransportService"
    synopsis = "Changes a server's transport settings."
    supports_should_process = True
    parameters = (
        Parameter("Identity", T.STRING, position=0, mandatory=True, pipeline=True, by_property_name=True,
                  completer="server", help="Server name or FQDN."),
        *_SETTINGS,
        *_PATH_PARAMETERS,
        Parameter("DomainController", T.STRING, help="Accepted for compatibility."),
    )
    examples = (Example("Set-TransportService EX01 -MessageTrackingLogMaxAge 7.00:00:00 "
                        "-ReceiveProtocolLogMaxDirectorySize 100MB",
                        "Keep a week of tracking logs and at most 100 MB of receive protocol logs on EX01."),)

    def process(self) -> None:
        # Lazy: loaded when this command runs, not at start-up.
        from exshell.config.operations import Create, Update
        from exshell.model.transport_service import TransportService

        p = self.params
        for name in _PATHS:
            if p.is_bound(name):
                self.throw_terminating(
                    f"{name} can't be changed here: exshell writes its logs under the state folder "
                    f"({self.runtime.services.state_dir.joinpath(*_PATHS[name])}).",
                    f"InvalidOperation,{self.name}", "InvalidOperation")
        config = current_config(self)
        ident = str(p["Identity"])
        server = config.server(ident)
        if server is None:
            not_found(self, "server", ident)
            return
        changes = {param.name: p[param.name] for param in _SETTINGS if p.is_bound(param.name)}
        existing = config.transport_service(server.name)
        if existing is not None:
            op: Any = Update(TRANSPORT_SERVICES, existing.guid, changes, identity=server.name)
        else:
            try:
                obj = TransportService(server.guid, server.name).with_changes(**changes)
            except (ModelError, ValueError) as exc:
                self.throw_terminating(str(getattr(exc, "message", exc)), f"InvalidArgument,{self.name}",
                                       "InvalidArgument")
                return
            op = Create(TRANSPORT_SERVICES, obj)
        applied = self.preview(op)
        if applied is None:
            return
        if applied.after == applied.before:
            self.write_warning("The command completed successfully but no settings of "
                               f"'{server.name}' have been modified.")
            return
        if not self.should_process(server.name, description=f'Configuring transport service "{server.name}".'):
            return
        self.change(op)


class SetTransportServer(SetTransportService):
    name = "Set-TransportServer"
    synopsis = "Changes a server's transport settings (the Exchange 2007/2010 name of Set-TransportService)."
    examples = (Example("Set-TransportServer EX01 -MessageRetryInterval 00:01:00",
                        "Retry every minute on EX01, as Exchange 2007 did."),)
