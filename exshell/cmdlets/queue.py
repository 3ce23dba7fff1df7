"""Get-Queue, Get-Message, Retry-Queue, Suspend-Message, Resume-Message, Remove-Message (cmdlets.md §7.1-7.3).

The queue belongs to the running engine (architecture.md): these cmdlets READ the queue state files and
the spool, and ask the delivery service to act through request files (`exshell.transport.delivery.control`),
waiting a few seconds for its acknowledgement. With no engine running, the actions fail with a clear error.
"""

from __future__ import annotations

from typing import Any, ClassVar

from exshell.cmdlets.base import Cmdlet, Example, Parameter, T
from exshell.cmdlets.exchange_support import identity_type, not_found, on_this_server
from exshell.cmdlets.progress import LoopProgress
from exshell.output.views import Column, TableView, register_view

QUEUE_TYPE = "Microsoft.Exchange.Data.QueueViewer.ExtensibleQueueInfo"
MESSAGE_TYPE = "Microsoft.Exchange.Data.QueueViewer.ExtensibleMessageInfo"
_QUEUE_ID = identity_type("QueueIdentity")
_MESSAGE_ID = identity_type("MessageIdentity")
_RESULT_SIZE = T.custom(
    "Microsoft.Exchange.Data.Unlimited`1[System.UInt32]",
    lambda v: None if str(v).lower() == "unlimited" else int(v),
    display="Unlimited",
)

# cmdlets.md §7.1 (the 2007 columns) and §7.3.
register_view(
    QUEUE_TYPE,
    TableView(
        (
            Column("Identity"),
            Column("DeliveryType"),
            Column("Status"),
            Column("MessageCount", align="right"),
            Column("NextHopDomain"),
        )
    ),
)
register_view(
    MESSAGE_TYPE,
    TableView(
        (Column("Identity"), Column("FromAddress"), Column("Status"), Column("Queue"), Column("Subject"))
    ),
)


def _psobject(props: dict[str, Any], type_name: str, text: str) -> Any:
    from exshell.runtime.values import PSObject

    return PSObject(
        props,
        type_names=(type_name, "Microsoft.Exchange.Data.QueueViewer.PagedDataObject", "System.Object"),
        to_string=text,
    )


def _reader(cmdlet: Cmdlet) -> Any:
    from exshell.model.config import Config
    from exshell.transport.delivery.queue_view import QueueReader

    services = cmdlet.runtime.services
    from exshell.model.errors import ModelDataError

    try:
        settings = Config.from_data(services.store.snapshot().data).settings_for(services.server_name)
        expiration = settings.message_expiration_timeout.seconds
    except ModelDataError:  # a broken configuration must not hide the queue
        expiration = 2 * 86400.0
    return QueueReader(services.state_dir, services.server_name, expiration)


def _server(cmdlet: Cmdlet) -> str:
    return str(cmdlet.runtime.services.server_name)


def _filter(cmdlet: Cmdlet) -> Any:
    """The parsed -Filter, or None; a syntax error is terminating, as Exchange's."""
    from exshell.transport.delivery.opath import FilterError, parse_filter

    text = cmdlet.params.get("Filter")
    if not text:
        return None
    try:
        return parse_filter(str(text))
    except FilterError as exc:
        cmdlet.throw_terminating(str(exc), f"InvalidFilter,{cmdlet.name}", "InvalidArgument", text)
        return None


def _keep(cmdlet: Cmdlet, terms: Any, props: dict[str, Any]) -> bool:
    from exshell.transport.delivery.opath import FilterError, matches

    if terms is None:
        return True
    try:
        return matches(terms, props)
    except FilterError as exc:
        cmdlet.throw_terminating(str(exc), f"InvalidFilter,{cmdlet.name}", "InvalidArgument")
        return False


def _split_server(cmdlet: Cmdlet, text: str) -> tuple[str | None, str]:
    """`SERVER\\rest` → ('SERVER', 'rest') when the first part names this server; else (None, text)."""
    first, sep, rest = text.strip().partition("\\")
    if sep and first.lower() == _server(cmdlet).lower():
        return first, rest
    return None, text.strip()


def resolve_queues(cmdlet: Cmdlet, reader: Any, identity: str) -> list[Any]:
    """A QueueIdentity: `SERVER\\n`, `SERVER\\Submission|Unreachable|Poison`, `SERVER\\NextHopDomain`, or the
    same without the server."""
    _, rest = _split_server(cmdlet, identity)
    key = rest.lower()
    found = []
    for q in reader.queues():
        tail = q.identity.rpartition("\\")[2].lower()
        if key in (tail, q.identity.lower(), q.next_hop_domain.lower()):
            found.append(q)
    return found


def _limit(cmdlet: Cmdlet) -> int | None:
    return cmdlet.params.get("ResultSize", 1000) if cmdlet.params.is_bound("ResultSize") else 1000


class GetQueue(Cmdlet):
    name = "Get-Queue"
    synopsis = "Lists the delivery queues of the transport server, with their status and message counts."
    description = (
        "One queue per next hop (a send connector's smart hosts, a recipient domain, or local mailboxes), "
        "plus Submission (accepted, not yet routed), Unreachable (no send connector matches) and Poison. "
        "Reads the engine's queue folder under the state directory; the engine needn't be running."
    )
    output_type = QUEUE_TYPE
    default_set = "Server"
    parameters = (
        Parameter(
            "Identity",
            _QUEUE_ID,
            position=0,
            pipeline=True,
            sets=("Identity",),
            completer="queue",
            help="SERVER\\n, SERVER\\Submission, SERVER\\Unreachable, SERVER\\Poison or a next hop domain.",
        ),
        Parameter(
            "Filter",
            T.STRING,
            sets=("Server",),
            help="An OPATH filter, e.g. \"NextHopDomain -eq 'contoso.com' -and Status -eq 'Retry'\".",
        ),
        Parameter(
            "Server", T.STRING, pipeline=True, sets=("Server",), help="This shell's server (by name or FQDN); another server's are read on that server."
        ),
        Parameter("ResultSize", _RESULT_SIZE, help="How many queues to return (default 1000, or unlimited)."),
        Parameter(
            "Include",
            T.STRINGS,
            help="Only queues of these kinds: Internal, External, Empty or a DeliveryType.",
        ),
        Parameter(
            "Exclude",
            T.STRINGS,
            help="Leave out queues of these kinds: Internal, External, Empty or a DeliveryType.",
        ),
    )
    examples = (
        Example("Get-Queue", "Lists every queue of this server."),
        Example("Get-Queue -Exclude Empty", "Only the queues that hold messages."),
        Example("Get-Queue -Filter \"Status -eq 'Retry'\"", "The queues that are waiting to retry."),
        Example("Get-Queue EX01\\Unreachable | Get-Message", "The messages no connector can route."),
    )
    related = ("Get-Message", "Retry-Queue")

    def process(self) -> None:
        if not on_this_server(self, "queues"):
            return
        reader = _reader(self)
        terms = _filter(self)
        if self.params.get("Identity") is not None:  # -Identity $null lists all, as no -Identity
            queues = resolve_queues(self, reader, self.params["Identity"])
            if not queues:
                not_found(self, "queue", self.params["Identity"])
                return
        else:
            queues = reader.queues()
        limit = _limit(self)
        include = [str(v).lower() for v in self.params.get("Include") or ()]
        exclude = [str(v).lower() for v in self.params.get("Exclude") or ()]
        n = 0
        for q in queues:
            props = q.to_properties()
            if not _keep(self, terms, props):
                continue
            kinds = {str(props["NextHopCategory"]).lower(), q.delivery_type.lower()}
            if q.message_count == 0:
                kinds.add("empty")
            if (include and not kinds & set(include)) or kinds & set(exclude):
                continue
            if limit is not None and n >= limit:
                self.write_warning(
                    "There are more results available than are currently displayed. To view "
                    "them, increase the value for the ResultSize parameter."
                )
                break
            self.write_object(_psobject(props, QUEUE_TYPE, q.identity))
            n += 1


def resolve_messages(cmdlet: Cmdlet, reader: Any, identity: str) -> list[Any]:
    """A MessageIdentity: `SERVER\\queue\\id`, `queue\\id` or the InternalId alone (every queue holding it)."""
    _, rest = _split_server(cmdlet, identity)
    queue_part, _, msg_id = rest.rpartition("\\")
    found = [m for m in reader.messages() if m.internal_id == msg_id.strip()]
    if queue_part:
        queues = {q.key for q in resolve_queues(cmdlet, reader, queue_part)}
        found = [m for m in found if m.queue_key in queues]
    return found


class GetMessage(Cmdlet):
    name = "Get-Message"
    synopsis = "Lists the messages in the queues: sender, status, subject, last error, retry count."
    description = (
        "A message sent to recipients behind different next hops shows once per queue. Recipients is "
        "filled only with -IncludeRecipientInfo, as in Exchange."
    )
    output_type = MESSAGE_TYPE
    default_set = "Filter"
    parameters = (
        Parameter(
            "Identity",
            _MESSAGE_ID,
            position=0,
            sets=("Identity",),
            help="SERVER\\queue\\InternalId, or the InternalId alone.",
        ),
        Parameter(
            "Queue",
            _QUEUE_ID,
            pipeline=True,
            sets=("Queue",),
            completer="queue",
            help="The queue whose messages to list (Get-Queue X | Get-Message).",
        ),
        Parameter(
            "Filter",
            T.STRING,
            sets=("Filter",),
            help="An OPATH filter, e.g. \"FromAddress -like '*@contoso.com'\".",
        ),
        Parameter("Server", T.STRING, sets=("Filter",), help="This shell's server (by name or FQDN); another server's are read on that server."),
        Parameter(
            "IncludeRecipientInfo", T.SWITCH, help="Fill in Recipients (blank without it, as in Exchange)."
        ),
        Parameter(
            "ResultSize", _RESULT_SIZE, help="How many messages to return (default 1000, or unlimited)."
        ),
    )
    examples = (
        Example("Get-Queue EX01\\3 | Get-Message", "The messages waiting in queue 3."),
        Example(
            "Get-Message -Filter \"FromAddress -eq 'scanner@contoso.com'\" -IncludeRecipientInfo | fl",
            "Where the scanner's messages are stuck, and why.",
        ),
    )
    related = ("Get-Queue", "Suspend-Message", "Resume-Message", "Remove-Message")

    def begin(self) -> None:
        self._seen: set[str] = set()
        self._count = 0

    def process(self) -> None:
        if not on_this_server(self, "queued messages"):
            return
        reader = _reader(self)
        terms = _filter(self)
        if self.params.get("Identity") is not None:  # $null: as if not given
            messages = resolve_messages(self, reader, self.params["Identity"])
            if not messages:
                not_found(self, "message", self.params["Identity"])
                return
        elif self.params.get("Queue") is not None:
            queues = resolve_queues(self, reader, self.params["Queue"])
            if not queues:
                not_found(self, "queue", self.params["Queue"])
                return
            keys = {q.key for q in queues}
            messages = [m for m in reader.messages() if m.queue_key in keys]
        else:
            messages = reader.messages()
        include = bool(self.params.get("IncludeRecipientInfo"))
        limit = _limit(self)
        for m in messages:
            if m.identity in self._seen:
                continue
            props = m.to_properties(include)
            if not _keep(self, terms, {**props, "Recipients": list(m.recipients)}):
                continue
            if limit is not None and self._count >= limit:
                return
            self._seen.add(m.identity)
            self._count += 1
            self.write_object(_psobject(props, MESSAGE_TYPE, m.identity))


# ---------------------------------------------------------------------- actions through the engine


def _ask(cmdlet: Cmdlet, action: str, args: dict[str, Any], target: str) -> bool:
    """Send one request to the delivery service; report a refusal as a non-terminating error."""
    from exshell.transport.delivery import control

    services = cmdlet.runtime.services
    try:
        ack = control.send_request(services.state_dir, _server(cmdlet), action, args)
    except control.EngineNotRunning as exc:
        cmdlet.throw_terminating(
            str(exc), f"TransportEngineNotRunning,{cmdlet.name}", "ResourceUnavailable", target
        )
        return False
    except control.EngineNoAnswer as exc:
        cmdlet.write_error(str(exc), f"TransportEngineNoAnswer,{cmdlet.name}", "OperationTimeout", target)
        return False
    except OSError as exc:
        cmdlet.write_error(
            f"The request couldn't be written to the queue folder: {exc.strerror}.",
            f"QueueControlWriteFailed,{cmdlet.name}",
            "WriteError",
            target,
        )
        return False
    if not ack.get("ok"):
        cmdlet.write_error(
            str(ack.get("message") or "The transport engine refused the request."),
            f"QueueActionFailed,{cmdlet.name}",
            "InvalidOperation",
            target,
        )
        return False
    cmdlet.write_verbose(
        f"The transport engine confirmed: {action} {target} ({ack.get('count', 0)} item(s))."
    )
    return True


class RetryQueue(Cmdlet):
    name = "Retry-Queue"
    synopsis = "Forces a connection attempt for a queue in Retry; -Resubmit $true routes its messages again."
    description = (
        "The request goes to the running transport engine (exshell serve), which acts on it and confirms "
        "within a few seconds. Use -Resubmit $true on the Unreachable queue after adding a send connector."
    )
    supports_should_process = True
    default_set = "Identity"
    parameters = (
        Parameter(
            "Identity",
            _QUEUE_ID,
            position=0,
            mandatory=True,
            pipeline=True,
            by_property_name=True,
            sets=("Identity",),
            completer="queue",
            help="The queue (SERVER\\n, SERVER\\Unreachable...).",
        ),
        Parameter(
            "Filter", T.STRING, mandatory=True, sets=("Filter",), help="An OPATH filter on the queues."
        ),
        Parameter(
            "Server", T.STRING, pipeline=True, sets=("Filter",), help="This shell's server (by name or FQDN); another server's are read on that server."
        ),
        Parameter(
            "Resubmit",
            T.BOOL,
            help="$true: send the messages back through routing (required for Unreachable).",
        ),
    )
    examples = (
        Example("Retry-Queue -Identity EX01\\3", "Retries queue 3 now."),
        Example(
            "Retry-Queue -Identity EX01\\Unreachable -Resubmit $true",
            "Routes the unreachable messages again, after a send connector was added.",
        ),
    )
    related = ("Get-Queue",)

    def process(self) -> None:
        if not on_this_server(self, "queues"):
            return
        reader = _reader(self)
        if self.params.is_bound("Identity"):
            queues = resolve_queues(self, reader, self.params["Identity"])
            if not queues:
                not_found(self, "queue", self.params["Identity"])
                return
        else:
            terms = _filter(self)
            queues = [q for q in reader.queues() if _keep(self, terms, q.to_properties())]
        resubmit = bool(self.params.get("Resubmit", False))
        for q in queues:
            if q.key == "Submission":
                continue  # nothing to retry: the service routes the Submission queue continuously
            verb = "Resubmitting" if resubmit else "Retrying"
            if self.should_process(q.identity, description=f'{verb} queue "{q.identity}".'):
                _ask(self, "retry-queue", {"queue": q.key, "resubmit": resubmit}, q.identity)


class _MessageAction(Cmdlet):
    description = (
        "The request goes to the running transport engine (exshell serve), which acts on it and confirms "
        "within a few seconds; the shell never edits the queue itself."
    )
    supports_should_process = True
    input_progress = True  # `Get-Message -Filter ... | Remove-Message`: one request per piped message
    default_set = "Identity"
    action = ""
    verb = ""
    parameters: ClassVar[tuple[Parameter, ...]] = (
        Parameter(
            "Identity",
            _MESSAGE_ID,
            position=0,
            mandatory=True,
            pipeline=True,
            by_property_name=True,
            sets=("Identity",),
            help="SERVER\\queue\\InternalId (as Get-Message shows it).",
        ),
        Parameter(
            "Filter", T.STRING, mandatory=True, sets=("Filter",), help="An OPATH filter on the messages."
        ),
        Parameter(
            "Server", T.STRING, pipeline=True, sets=("Filter",), help="This shell's server (by name or FQDN); another server's are read on that server."
        ),
    )

    def extra_args(self) -> dict[str, Any]:
        return {}

    def process(self) -> None:
        if not on_this_server(self, "queued messages"):
            return
        reader = _reader(self)
        if self.params.is_bound("Identity"):
            messages = resolve_messages(self, reader, self.params["Identity"])
            if not messages:
                not_found(self, "message", self.params["Identity"])
                return
        else:
            terms = _filter(self)
            messages = [
                m
                for m in reader.messages()
                if _keep(self, terms, {**m.to_properties(), "Recipients": list(m.recipients)})
            ]
        progress = LoopProgress(self, f"{self.verb} messages")
        for done, m in enumerate(messages):
            progress.step(done, len(messages), m.identity)
            if m.queue_key == "Submission":
                self.write_error(
                    f"The message {m.identity} hasn't been routed yet; try again in a moment.",
                    f"MessageNotInDeliveryQueue,{self.name}",
                    "InvalidOperation",
                    m.identity,
                )
                continue
            if self.should_process(
                m.identity,
                description=f'{self.verb} message "{m.identity}" '
                f'(from {m.from_address or "<>"}, subject "{m.subject}").',
            ):
                _ask(
                    self,
                    self.action,
                    {"message": m.internal_id, "queue": m.queue_key, **self.extra_args()},
                    m.identity,
                )
        progress.done()


class SuspendMessage(_MessageAction):
    name = "Suspend-Message"
    synopsis = "Stops delivery attempts for a queued message until Resume-Message."
    action = "suspend-message"
    verb = "Suspending"
    examples = (Example("Get-Queue EX01\\3 | Get-Message | Suspend-Message -Confirm:$false", ""),)
    related = ("Resume-Message", "Get-Message")


class ResumeMessage(_MessageAction):
    name = "Resume-Message"
    synopsis = "Resumes delivery of a suspended message."
    action = "resume-message"
    verb = "Resuming"
    examples = (Example("Resume-Message EX01\\3\\1732790000000001", ""),)
    related = ("Suspend-Message", "Get-Message")


class RemoveMessage(_MessageAction):
    name = "Remove-Message"
    synopsis = "Deletes a queued message, with or without a non-delivery report to the sender."
    confirm_impact = "High"
    action = "remove-message"
    verb = "Removing"
    parameters = _MessageAction.parameters + (
        Parameter(
            "WithNDR", T.BOOL, help="$true (the default): the sender gets an NDR; $false: delete silently."
        ),
    )
    examples = (
        Example("Remove-Message EX01\\Unreachable\\1732790000000001 -WithNDR $false -Confirm:$false", ""),
    )
    related = ("Get-Message", "Suspend-Message")

    def extra_args(self) -> dict[str, Any]:
        return {"with_ndr": bool(self.params.get("WithNDR", True))}
