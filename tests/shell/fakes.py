"""Cmdlet declarations for completion and help tests: shaped like the Exchange ones, no store needed."""

from __future__ import annotations

from exshell.cmdlets.base import Cmdlet, Example, Parameter, SetAttrs, T

AUTH = T.flags(
    "Microsoft.Exchange.Data.Directory.SystemConfiguration.AuthMechanisms",
    (
        "None",
        "Tls",
        "Integrated",
        "BasicAuth",
        "BasicAuthRequireTLS",
        "ExchangeServer",
        "ExternalAuthoritative",
    ),
    display="AuthMechanisms",
)
USAGE = T.enum(
    "Microsoft.Exchange.Management.SystemConfigurationTasks.NewReceiveConnector+UsageType",
    ("Custom", "Internet", "Internal", "Client", "Partner"),
    display="UsageType",
)


class GetReceiveConnector(Cmdlet):
    name = "Get-ReceiveConnector"
    synopsis = "Gets receive connectors."
    parameters = (
        Parameter(
            "Identity",
            T.STRING,
            position=0,
            pipeline=True,
            completer="receive_connector",
            help="The connector.",
        ),
        Parameter("Server", T.STRING, completer="server"),
    )


class SetReceiveConnector(Cmdlet):
    name = "Set-ReceiveConnector"
    synopsis = "Modifies a receive connector."
    supports_should_process = True
    confirm_impact = "High"
    parameters = (
        Parameter(
            "Identity",
            T.STRING,
            position=0,
            mandatory=True,
            pipeline=True,
            completer="receive_connector",
            help="The connector to modify.",
        ),
        Parameter("AuthMechanism", AUTH, help="The authentication mechanisms."),
        Parameter("Enabled", T.BOOL),
        Parameter("Force", T.SWITCH),
        Parameter("Name", T.STRING),
        Parameter("Usage", USAGE, per_set={"Usage": SetAttrs(mandatory=True)}),
        Parameter("RemoteIPRanges", T.STRINGS, aliases=("Ranges",), help="Remote IP ranges."),
        Parameter("Hidden", T.STRING, dont_show=True),
    )
    examples = (Example("Set-ReceiveConnector Relay -AuthMechanism Tls", "Offers TLS only."),)
    related = ("Get-ReceiveConnector", "New-ReceiveConnector")


class WhereObject(Cmdlet):
    name = "Where-Object"
    aliases = ("where", "?")
    synopsis = "Selects objects."
    parameters = (Parameter("FilterScript", T.SCRIPTBLOCK, position=0, mandatory=True),)


CLASSES = (GetReceiveConnector, SetReceiveConnector, WhereObject)
