"""What the Exchange configuration cmdlets share: parameter types for the model's values, ConfigCmdlet (the
cmdlet side of the configuration seam, exshell.config), identity resolution, and the guard that refuses
dangerous changes silently made.

One invocation = one version (issue 3): a ConfigCmdlet declares its changes as operations while it processes
its input objects; end() commits them together, re-applied to the newest version under the store's writer
lock, so a concurrent writer's change is never overwritten and a rule broken by it (a name taken meanwhile)
is reported instead.
"""

from __future__ import annotations

import re

from typing import TYPE_CHECKING, Any
from collections.abc import Callable

from exshell.cmdlets.base import Cmdlet, ParamType, T
from exshell.app import default_server_name
from exshell.runtime.parameters import COMMON_NAMES, ListModifier
from exshell.runtime.values import to_string, PSObject
from exshell.runtime.wildcard import WildcardPattern, has_wildcards

if TYPE_CHECKING:  # pragma: no cover
    from exshell.model.config import Config


def server_name_of(cmdlet: "Cmdlet") -> str:
    """The server this shell administers: a bare connector name resolves on it (Exchange's local server)."""
    name = getattr(cmdlet.runtime.services, "server_name", None)
    if name:
        return name

    return default_server_name()


def on_this_server(cmdlet: "Cmdlet", what: str) -> bool:
    """-Server of the queue and tracking cmdlets: this shell's server (by name or FQDN) or none. Another
    server's queue and logs are on that server's disk (its --state), so naming one is an error, never this
    server's answer under another name."""
    given = cmdlet.params.get("Server")
    if not given:
        return True
    return all(_is_this_server(cmdlet, str(w).strip(), what)
               for w in (given if isinstance(given, (list, tuple)) else [given]))


def _is_this_server(cmdlet: "Cmdlet", wanted: str, what: str) -> bool:
    local = server_name_of(cmdlet)
    if wanted.lower() == local.lower():
        return True
    server = current_config(cmdlet).server(wanted)
    if server is None:
        not_found(cmdlet, "server", wanted)
        return False
    if server.name.lower() == local.lower():
        return True
    cmdlet.write_error(
        f"The {what} of server '{server.name}' are kept by its own engine, on its own disk: run this command on "
        f"{server.name} (exshell --server {server.name} --state <its state folder>). This shell reads those of "
        f"{local}.",
        f"RemoteServerNotAvailable,{cmdlet.name}", "NotImplemented", wanted,
    )
    return False


# --------------------------------------------------------------------------- parameter types


def _convert_with(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, PSObject):
            value = to_string(value)
        try:
            return parse(value if not isinstance(value, str) else value.strip())
        except ValueError as exc:
            raise ValueError(getattr(exc, "message", None) or str(exc)) from None

    return convert


def _ip_range(value: Any) -> Any:
    from exshell.model.ip import IPRange  # lazy: a model module loads with the objects it decodes

    return IPRange.parse(value if isinstance(value, IPRange) else str(value))


def _binding(value: Any) -> Any:
    from exshell.model.binding import IPBinding  # lazy: a model module loads with the objects it decodes

    return IPBinding.parse(value if isinstance(value, IPBinding) else str(value))


def _size(value: Any) -> Any:
    # Lazy: a model module loads with the objects it decodes.
    from exshell.model.size import ByteQuantifiedSize

    return ByteQuantifiedSize.parse(value)


def _unlimited(value: Any) -> Any:
    from exshell.model.size import Unlimited  # lazy: a model module loads with the objects it decodes

    return Unlimited.parse(value)


def _unlimited_size(value: Any) -> Any:
    from exshell.model.size import Unlimited  # lazy: a model module loads with the objects it decodes

    return Unlimited.parse(value, size=True)


def _timespan(value: Any) -> Any:
    # Lazy: a model module loads with the objects it decodes.
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
UNLIMITED_SIZE = T.custom(
    "Microsoft.Exchange.Data.Unlimited`1[Microsoft.Exchange.Data.ByteQuantifiedSize]",
    _convert_with(lambda v: _unlimited_size(v)), display="Unlimited",
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
        if isinstance(value, PSObject):
            ident = value.get("Identity")
            return to_string(ident if ident is not None else value)
        return to_string(value)

    return T.custom(f"Microsoft.Exchange.Configuration.Tasks.{what}", convert, display=what)


# --------------------------------------------------------------------------- reading and changing the configuration


def current_config(cmdlet: "Cmdlet") -> "Config":
    """The newest version as model objects (decoded once per version per process, per collection)."""
    from exshell.config.cache import current_config as newest  # lazy: the configuration is read on first use

    return newest(cmdlet.runtime.services.store)


# A variable, ${braced} name or $(subexpression) — not the constants $true/$false/$null.
_NAMES_A_VALUE = re.compile(r"\$(?!(?:true|false|null)\b)[\w{(:?]", re.IGNORECASE)


def history_text(cmdlet: Cmdlet) -> str:
    """The command recorded with the version (Get-ConfigVersion's Command column): the statement as typed; when
    it names variables, followed by the values this cmdlet was bound to (`-Bindings $binding` alone tells a
    reader nothing once the script is gone); and, for a statement from a script file, the file and line.
    Secrets (SecureString, PSCredential) are never written out: neither a bound value nor a password typed
    inline (`ConvertTo-SecureString 'P@ss' -AsPlainText`), which secret_masking replaces in the statement."""
    # Lazy: other cmdlet modules, loaded when a change is recorded.
    from exshell.cmdlets.registry import default_registry
    from exshell.cmdlets.secret_masking import mask_secrets
    from exshell.cmdlets.secure import PSCredential, SecureString

    invocation = cmdlet.runtime.invocation
    typed = getattr(invocation, "statement_text", "")
    commands = getattr(cmdlet.runtime.services, "registry", None) or default_registry()
    text = mask_secrets(typed, commands) if typed else cmdlet.name

    def show(value: Any) -> str:
        if isinstance(value, (SecureString, PSCredential)):
            return "********"
        if isinstance(value, bool):
            return "$true" if value else "$false"
        if isinstance(value, ListModifier):
            parts = [f"{k}={show(list(v))}" for k, v in
                     (("Add", value.add), ("Remove", value.remove), ("Replace", value.replace)) if v]
            return "@{" + "; ".join(parts) + "}"
        if isinstance(value, (list, tuple)):
            return ",".join(show(v) for v in value) or "@()"
        shown = to_string(value)
        return shown if shown and re.fullmatch(r"[\w.:/\\@*-]+", shown) else "'" + shown.replace("'", "''") + "'"

    if _NAMES_A_VALUE.search(text):
        bound = [f"-{name} {show(cmdlet.params[name])}" for name in cmdlet.params
                 if name.lower() not in COMMON_NAMES]
        if bound:
            text += f"  # {cmdlet.name} " + " ".join(bound)
    span = getattr(invocation, "span", None)
    source_name = getattr(getattr(span, "source", None), "name", None)
    if source_name:
        text += f"  ({source_name}:{span.line})"  # type: ignore[union-attr]
    return text


class ConfigCmdlet(Cmdlet):
    """A cmdlet that changes the configuration. It declares each change as an operation (exshell.config):
    `self.change(op, target)` checks it on the invocation's view at once (a broken rule is reported for the
    input object that broke it) and queues it; end() commits every queued operation as one version, applied
    to the newest version under the writer lock, and emits what was committed (`emit`)."""

    input_progress = True

    def begin(self) -> None:
        # Lazy: only a change builds operations; a Get- never imports them.
        from exshell.config.changes import ConfigChanges

        self.changes = ConfigChanges(self.runtime.services.store, history_text(self))
        self._emit: list[int] = []  # positions of the operations whose committed object is emitted

    @property
    def config(self) -> "Config":
        """The configuration as this invocation sees it: the newest version plus its own changes so far."""
        return self.changes.config

    def preview(self, op: Any, target: Any = None) -> Any:
        """What op would do (Applied(before, after)), or None after reporting the broken rule."""
        from exshell.model.errors import ModelError  # lazy: a model module loads with the objects it decodes

        try:
            return self.changes.preview(op)
        except ModelError as exc:
            report_model_error(self, exc, target)
            return None

    def change(self, op: Any, target: Any = None, emit: bool = False) -> Any:
        """Queue op for this invocation's version; returns Applied(before, after), or None after reporting
        the broken rule (then nothing is queued)."""
        from exshell.model.errors import ModelError  # lazy: a model module loads with the objects it decodes

        try:
            result = self.changes.add(op)
        except ModelError as exc:
            report_model_error(self, exc, target)
            return None
        if emit:
            self._emit.append(len(self.changes._ops) - 1)
        return result

    def end(self) -> None:
        from exshell.model.errors import ModelError  # lazy: a model module loads with the objects it decodes

        progress = self.runtime.progress  # set when objects came through the pipeline

        def saving(done: int, total: int) -> None:
            progress.step(done, total, "saving as one configuration version")

        try:
            results = self.changes.commit(saving if progress is not None else None)
        except ModelError as exc:  # a rule broken by a concurrent writer, or a guard's risk that changed
            report_model_error(self, exc)
            return
        for i in self._emit:
            if i < len(results) and results[i].after is not None:
                self.emit(results[i].after)
        self.committed(results)

    def emit(self, obj: Any) -> None:
        """Write one committed object (New-* cmdlets)."""

    def committed(self, results: list[Any]) -> None:
        """Called after a successful commit (results in operation order; empty when nothing was queued)."""

    def remove(self, collection: str, obj: Any, description: str) -> None:
        """Remove-*: ShouldProcess (ConfirmImpact High prompts), then delete the object by its key."""
        # Lazy: only a change builds operations; a Get- never imports them.
        from exshell.config.operations import Delete

        if self.should_process(obj.identity, description=description):
            self.change(Delete(collection, obj.guid, obj.identity), obj.identity)


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


def identity_matcher(ident: str) -> Callable[[str], bool]:
    """How an Identity compares with the names an object answers to: a PowerShell wildcard (`*`, `?`,
    `[a-z]`) when it holds one, else the exact text; case-insensitive either way. An invalid pattern raises
    the runtime's WildcardPatternException."""
    text = ident.strip()
    if has_wildcards(text):
        return WildcardPattern(text).match
    key = text.lower()
    return lambda name: name.lower() == key


def is_wildcard(ident: str) -> bool:
    return has_wildcards(ident.strip())


def find_matches(items: Any, ident: str, *tiers: Callable[[Any], Any]) -> list[Any]:
    """Every object an Identity names. Each tier maps an object to the strings it answers to (GUID and name,
    then aliases or addresses); the first tier with any match decides. A wildcard never matches a GUID
    (`*a*` names objects, not every GUID holding an a)."""
    match = identity_matcher(ident)
    wild = is_wildcard(ident)
    for tier in tiers:
        found = [o for o in items
                 if any(match(str(k)) for k in tier(o) if not (wild and k == getattr(o, "guid", None)))]
        if found:
            return found
    return []


def find_one(cmdlet: "Cmdlet", items: Any, ident: str, *tiers: Callable[[Any], Any]) -> Any:
    """The one object an Identity names (Set-/Remove-), or None after writing Exchange's not-found or
    ambiguous error: a wildcard must match exactly one object too."""
    return pick_one(cmdlet, ident, find_matches(items, ident, *tiers))


def find_all(cmdlet: "Cmdlet", items: Any, ident: str, *tiers: Callable[[Any], Any]) -> list[Any]:
    """The objects an Identity names for a Get- cmdlet (see pick_all)."""
    return pick_all(cmdlet, ident, find_matches(items, ident, *tiers))


def pick_all(cmdlet: "Cmdlet", ident: str, found: list[Any]) -> list[Any]:
    """Get-: a wildcard returns every match, and nothing without an error when none matches (as EMS does);
    a plain identity keeps the one-object rules (not-found, ambiguous)."""
    if is_wildcard(ident):
        return found
    one = pick_one(cmdlet, ident, found)
    return [] if one is None else [one]


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
        return cmdlet.should_continue(f"{risk}\nDo you want to continue?", "Confirm", default_no=True)
    cmdlet.write_error(
        f"{risk} The change to '{target}' was not made. To make it anyway, run the command again with -Force "
        "or -Confirm:$false.",
        f"ConfirmationRequired,{cmdlet.name}",
        "InvalidOperation",
        target,
        "InvalidOperationException",
    )
    return False
