"""What the Exchange configuration cmdlets share: parameter types for the model's values, the per-invocation
transaction on the store, identity resolution, and the guard that refuses dangerous changes silently made.

One invocation = one version (issue 3): a cmdlet collects its changes in a ConfigTransaction while it
processes its input objects and commits them together at end(). Each change is a function of the
configuration, so the commit re-applies it to the newest version under the store's writer lock: a concurrent
writer's change is never overwritten, and a rule broken by it (a name taken meanwhile) is reported instead.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Callable

from exshell.cmdlets.base import Cmdlet, ParamType, T

if TYPE_CHECKING:  # pragma: no cover
    from exshell.model.config import Config
    from exshell.store.base import MutableConfig


def server_name_of(cmdlet: "Cmdlet") -> str:
    """The server this shell administers: a bare connector name resolves on it (Exchange's local server)."""
    name = getattr(cmdlet.runtime.services, "server_name", None)
    if name:
        return name
    from exshell.runtime.session import default_server_name

    return default_server_name()


# --------------------------------------------------------------------------- parameter types


def _convert_with(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        from exshell.runtime.values import PSObject, to_string

        if isinstance(value, PSObject):
            value = to_string(value)
        try:
            return parse(value if not isinstance(value, str) else value.strip())
        except ValueError as exc:
            raise ValueError(getattr(exc, "message", None) or str(exc)) from None

    return convert


def _ip_range(value: Any) -> Any:
    from exshell.model.ip import IPRange

    return IPRange.parse(value if isinstance(value, IPRange) else str(value))


def _binding(value: Any) -> Any:
    from exshell.model.binding import IPBinding

    return IPBinding.parse(value if isinstance(value, IPBinding) else str(value))


def _size(value: Any) -> Any:
    from exshell.model.size import ByteQuantifiedSize

    return ByteQuantifiedSize.parse(value)


def _unlimited(value: Any) -> Any:
    from exshell.model.size import Unlimited

    return Unlimited.parse(value)


def _timespan(value: Any) -> Any:
    from exshell.model.timespan import EnhancedTimeSpan

    return EnhancedTimeSpan.parse(value)


IP_RANGES = T.custom(
    "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.IPRange]",
    _convert_with(_ip_range),
    display="MultiValuedProperty",
    array=True,
    multivalued=True,
)
BINDINGS = T.custom(
    "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.IPBinding]",
    _convert_with(_binding),
    display="MultiValuedProperty",
    array=True,
    multivalued=True,
)
SIZE = T.custom("Microsoft.Exchange.Data.ByteQuantifiedSize", _convert_with(_size), display="ByteQuantifiedSize")
UNLIMITED_INT = T.custom(
    "Microsoft.Exchange.Data.Unlimited`1[System.Int32]", _convert_with(_unlimited), display="Unlimited"
)
TIMESPAN = T.custom(
    "Microsoft.Exchange.Data.EnhancedTimeSpan", _convert_with(_timespan), display="EnhancedTimeSpan"
)
FQDN = T.custom("Microsoft.Exchange.Data.Fqdn", _convert_with(lambda v: _fqdn(str(v))), display="Fqdn")

AUTH_MECHANISM = T.flags(
    "Microsoft.Exchange.Data.Directory.SystemConfiguration.AuthMechanisms",
    ("None", "Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS", "ExchangeServer", "ExternalAuthoritative"),
    display="AuthMechanisms",
)
PERMISSION_GROUPS = T.flags(
    "Microsoft.Exchange.Data.Directory.SystemConfiguration.PermissionGroups",
    ("None", "AnonymousUsers", "ExchangeUsers", "ExchangeServers", "ExchangeLegacyServers", "Partners", "Custom"),
    display="PermissionGroups",
)
USAGE = T.enum(
    "Microsoft.Exchange.Management.SystemConfigurationTasks.NewReceiveConnector+UsageType",
    ("Client", "Custom", "Internal", "Internet", "Partner"),
    display="UsageType",
)
PROTOCOL_LOGGING_LEVEL = T.enum(
    "Microsoft.Exchange.Data.ProtocolLoggingLevel", ("None", "Verbose"), display="ProtocolLoggingLevel"
)
TRANSPORT_ROLE = T.enum(
    "Microsoft.Exchange.Data.Directory.SystemConfiguration.ServerRole",
    ("FrontendTransport", "HubTransport"),
    display="ServerRole",
)
ACCEPTED_DOMAIN_TYPE = T.enum(
    "Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomainType",
    ("Authoritative", "ExternalRelay", "InternalRelay"),
    display="AcceptedDomainType",
)


def _fqdn(text: str) -> str:
    import re

    value = text.strip().rstrip(".")
    if not value or not re.fullmatch(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,253}[A-Za-z0-9_])?", value) or ".." in value:
        raise ValueError(f'"{text}" isn\'t a valid fully qualified domain name.')
    return value


def identity_type(what: str) -> ParamType:
    """An identity parameter: a string, or an object carrying Identity (piped connectors, ACEs)."""

    def convert(value: Any) -> str:
        from exshell.runtime.values import PSObject, to_string

        if isinstance(value, PSObject):
            ident = value.get("Identity")
            return to_string(ident if ident is not None else value)
        return to_string(value)

    return T.custom(f"Microsoft.Exchange.Configuration.Tasks.{what}", convert, display=what)


# --------------------------------------------------------------------------- the per-invocation transaction


class ConfigTransaction:
    """The changes of one cmdlet invocation, applied to a private working copy as they are made (so later
    input objects see earlier changes) and committed as one version by commit()."""

    def __init__(self, cmdlet: "Cmdlet") -> None:
        self._cmdlet = cmdlet
        self._store: Any = None
        self._work: dict[str, dict[str, dict[str, Any]]] | None = None
        self._config: "Config | None" = None
        self._ops: list[Callable[["MutableConfig"], None]] = []

    @property
    def store(self) -> Any:
        if self._store is None:
            self._store = self._cmdlet.runtime.services.store
        return self._store

    def _data(self) -> dict[str, dict[str, dict[str, Any]]]:
        if self._work is None:
            from exshell.store.records import thaw

            self._work = thaw(self.store.snapshot().data)
        return self._work

    def config(self) -> "Config":
        """The configuration as this invocation sees it (the base plus its own changes so far)."""
        if self._config is None:
            from exshell.model.config import Config

            self._config = Config.from_data(self._data())
        return self._config

    def apply(self, op: Callable[["MutableConfig"], None]) -> None:
        """Run op on a copy of the working data; keep the result only if op succeeds (errors propagate)."""
        from exshell.store.base import MutableConfig

        trial = copy.deepcopy(self._data())
        op(MutableConfig(0, trial))
        self._work = trial
        self._config = None
        self._ops.append(op)

    @property
    def pending(self) -> bool:
        return bool(self._ops)

    def commit(self) -> Any:
        """One version for everything applied; the ops re-run on the newest version under the lock."""
        if not self._ops:
            return None
        ops = list(self._ops)
        self._ops.clear()

        def mutate(doc: "MutableConfig") -> None:
            for op in ops:
                op(doc)

        text = getattr(self._cmdlet.runtime.invocation, "statement_text", "") or self._cmdlet.name
        return self.store.commit(mutate, command=text)


class ConfigCmdlet(Cmdlet):
    """A cmdlet that changes the configuration. Its changes collect in one ConfigTransaction per invocation and
    are committed together at end() (one version); then emit_created() writes what it made."""

    def begin(self) -> None:
        self.tx = ConfigTransaction(self)
        self.created: list[Any] = []

    def end(self) -> None:
        try:
            self.tx.commit()
        except Exception as exc:  # a rule broken by a concurrent writer, or the store refusing
            report_model_error(self, exc)
            return
        if self.created:
            self.emit_created(self.tx.store.snapshot().data)

    def emit_created(self, data: Any) -> None:
        """Write the objects this invocation created (New-* and Add-* cmdlets)."""

    def remove(self, collection: str, obj: Any, description: str) -> None:
        """Remove-*: ShouldProcess (ConfirmImpact High prompts), then delete the object by its key."""
        if self.should_process(obj.identity, description=description):
            guid = obj.guid

            def op(doc: "MutableConfig") -> None:
                doc.delete(collection, guid)

            self.tx.apply(op)


def report_model_error(cmdlet: "Cmdlet", exc: Exception, target: Any = None, terminating: bool = False) -> None:
    """A ModelError (bad value, rule broken, name taken) as Exchange reports it: a non-terminating error
    whose id is the model's, qualified with the cmdlet name."""
    message = getattr(exc, "message", None) or str(exc)
    error_id = getattr(exc, "error_id", None) or "InvalidArgument"
    category = "InvalidArgument"
    if error_id.endswith("NotFound") or "couldn't be found" in message:
        category = "ObjectNotFound"
    elif "Conflict" in error_id or "already" in message:
        category = "ResourceExists"
    fqid = f"{error_id},{cmdlet.name}"
    if terminating:
        cmdlet.throw_terminating(message, fqid, category, target)
    else:
        cmdlet.write_error(message, fqid, category, target)


def not_found(cmdlet: "Cmdlet", what: str, identity: str) -> None:
    """Exchange's ManagementObjectNotFoundException wording."""
    cmdlet.write_error(
        f'The operation couldn\'t be performed because object \'{identity}\' couldn\'t be found on '
        f'\'{server_name_of(cmdlet)}\'.',
        f"ManagementObjectNotFoundException,{cmdlet.name}",
        "ObjectNotFound",
        identity,
        "ManagementObjectNotFoundException",
    )


def find_one(cmdlet: "Cmdlet", items: Any, ident: str, *tiers: Callable[[Any], Any]) -> Any:
    """The one object an Identity names, or None after writing Exchange's not-found or ambiguous error.
    Each tier maps an object to the strings it answers to (GUID and name, then aliases or addresses); the
    first tier with any match decides, case-insensitively."""
    key = ident.strip().lower()
    found: list[Any] = []
    for tier in tiers:
        found = [o for o in items if key in {str(k).lower() for k in tier(o)}]
        if found:
            break
    return pick_one(cmdlet, ident, found)


def pick_one(cmdlet: "Cmdlet", ident: str, found: list[Any]) -> Any:
    if not found:
        not_found(cmdlet, "", ident)
        return None
    if len(found) > 1:
        ambiguous(cmdlet, ident, [getattr(o, "identity", None) or o.name for o in found])
        return None
    return found[0]


def ambiguous(cmdlet: "Cmdlet", identity: str, matches: list[str]) -> None:
    cmdlet.write_error(
        f"The operation couldn't be performed because '{identity}' matches multiple entries: "
        f"{', '.join(matches)}. Use SERVER\\Name or the GUID.",
        f"ManagementObjectAmbiguousException,{cmdlet.name}",
        "InvalidArgument",
        identity,
        "ManagementObjectAmbiguousException",
    )


def forced(cmdlet: "Cmdlet") -> bool:
    """-Force, or -Confirm:$false: the administrator has said yes in advance."""
    if cmdlet.params.get("Force"):
        return True
    return cmdlet.params.is_bound("Confirm") and not cmdlet.params.get("Confirm")


def confirm_risk(cmdlet: "Cmdlet", target: str, risk: str) -> bool:
    """The guards no anchor has (issue 3 §4): a change that drops entries, opens a relay or takes rights
    away is never made silently. With -Force/-Confirm:$false it proceeds with a WARNING; in an interactive
    host it asks; in a script it refuses with a non-terminating error that says how to proceed."""
    if forced(cmdlet):
        cmdlet.write_warning(risk)
        return True
    host = cmdlet.runtime.host
    if getattr(host, "interactive", False):
        return cmdlet.should_continue(f"{risk}\nDo you want to continue?", "Confirm")
    cmdlet.write_error(
        f"{risk} The change to '{target}' was not made. To make it anyway, run the command again with -Force "
        "or -Confirm:$false.",
        f"ConfirmationRequired,{cmdlet.name}",
        "InvalidOperation",
        target,
        "InvalidOperationException",
    )
    return False
