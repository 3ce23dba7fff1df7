"""Get-Queue, Get-Message, Retry-Queue, Suspend-Message, Resume-Message, Remove-Message (cmdlets.md §7.1-7.3).

The queue belongs to the running engine (architecture.md): these cmdlets READ the queue state files and
the spool, and ask the delivery service to act through request files (`exshell.transport.delivery.control`),
waiting a few seconds for its acknowledgement. With no engine running, the actions fail with a clear error.

On a fleet's shared store another server's queue is asked of its engine through the store
(store/queue_requests.py, answered by transport/queue_agent.py): `-Server EX02`, an identity `EX02\\...`, and,
with neither, every server of the organization. This server's queue is read from the state folder when it
holds one (the shell runs beside the engine), else asked of the engine like any other.
"""

from __future__ import annotations

from typing import Any, ClassVar

from exshell.cmdlets.base import Cmdlet, Example, Parameter, T
from exshell.cmdlets.exchange_support import current_config, identity_type, not_found, on_this_server
from exshell.cmdlets.progress import LoopProgress
from exshell.errors import ExshellError
from exshell.output.views import Column, TableView, register_view
from exshell.runtime.values import PSObject

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
    return PSObject(
        props,
        type_names=(type_name, "Microsoft.Exchange.Data.QueueViewer.PagedDataObject", "System.Object"),
        to_string=text,
    )


def _snapshot(cmdlet: Cmdlet) -> Any:
    """This server's queues and messages, read from the queue folder (the engine is the writer)."""
    # Lazy: loaded when this command runs, not at start-up.
    from exshell.model.config import Config
    from exshell.transport.delivery.queue_view import read_snapshot

    services = cmdlet.runtime.services
    from exshell.model.errors import ModelDataError  # lazy: a model module loads with the objects it decodes

    try:
        settings = Config.from_data(services.store.snapshot().data).settings_for(services.server_name)
        expiration = settings.message_expiration_timeout.seconds
    except ModelDataError:  # a broken configuration must not hide the queue
        expiration = 2 * 86400.0
    return read_snapshot(services.state_dir, services.server_name, expiration)


def _server(cmdlet: Cmdlet) -> str:
    return str(cmdlet.runtime.services.server_name)


class QueueView:
    """One server's queues and messages, read once per command: from this state folder, or (`remote`) asked
    of the server's engine through the shared store."""

    def __init__(self, cmdlet: Cmdlet, server: str, remote: bool) -> None:
        self.cmdlet = cmdlet
        self.server = server
        self.remote = remote
        self._queues: list[Any] | None = None
        self._messages: list[Any] | None = None
        self._files: Any = None

    @property
    def queues(self) -> list[Any]:
        if self._queues is None:
            if self.remote:
                # Lazy: the engine's code, only for the commands that use it.
                from exshell.transport.queue_agent import QUEUES, decode_queues

                self._queues = decode_queues(self.act(QUEUES, {}))
            else:
                self._queues = list(self._from_files().queues)
        return self._queues

    @property
    def messages(self) -> list[Any]:
        if self._messages is None:
            if self.remote:
                # Lazy: the engine's code, only for the commands that use it.
                from exshell.transport.queue_agent import MESSAGES, decode_messages

                self._messages = decode_messages(self.act(MESSAGES, {}))
            else:
                self._messages = list(self._from_files().messages)
        return self._messages

    def _from_files(self) -> Any:
        if self._files is None:
            self._files = _snapshot(self.cmdlet)
        return self._files

    def act(self, action: str, args: dict[str, Any]) -> Any:
        """The engine's answer; raises control.EngineNotRunning / EngineNoAnswer (QueueRequestError remotely)."""
        services = self.cmdlet.runtime.services
        if self.remote:
            return services.store.ask_queue(self.server, action, args)
        # Lazy: the engine's code, only for the commands that use it.
        from exshell.transport.delivery import control

        return control.send_request(services.state_dir, self.server, action, args)


def _shared(cmdlet: Cmdlet) -> bool:
    """A fleet's store, through which other servers' engines answer."""
    return hasattr(cmdlet.runtime.services.store, "ask_queue")


def _view(cmdlet: Cmdlet, server: str) -> QueueView:
    local = server.lower() == _server(cmdlet).lower()
    if local and _shared(cmdlet):
        local = (cmdlet.runtime.services.state_dir / "queue").is_dir()  # this machine runs the engine
    return QueueView(cmdlet, server, remote=not local)


def views(cmdlet: Cmdlet, what: str, identity: Any = None) -> list[QueueView]:
    """The servers a queue cmdlet reads: the server an identity names (`EX02\\3`), else -Server, else on a
    shared store every server of the organization; this server otherwise. A folder store has this server's
    queue only (another server named: RemoteServerNotAvailable, from on_this_server)."""
    if not _shared(cmdlet):
        return [_view(cmdlet, _server(cmdlet))] if on_this_server(cmdlet, what) else []
    config = current_config(cmdlet)
    named = _split_server(cmdlet, str(identity))[0] if identity is not None else None
    if named:
        return [_view(cmdlet, named)]
    given = cmdlet.params.get("Server")
    if given:
        out = []
        for wanted in given if isinstance(given, (list, tuple)) else [given]:
            server = config.server(str(wanted).strip())
            if server is None:
                not_found(cmdlet, "server", str(wanted))
            else:
                out.append(_view(cmdlet, server.name))
        return out
    if identity is not None:
        return [_view(cmdlet, _server(cmdlet))]
    return [_view(cmdlet, s.name) for s in config.servers]


def unavailable(cmdlet: Cmdlet, view: QueueView, exc: Exception) -> None:
    """A server whose engine can't be asked: a non-terminating error naming it; the other servers still answer."""
    cmdlet.write_error(str(exc), f"ServerUnavailable,{cmdlet.name}", "ResourceUnavailable", view.server)


def _filter(cmdlet: Cmdlet) -> Any:
    """The parsed -Filter, or None; a syntax error is terminating, as Exchange's."""
    # Lazy: the engine's code, only for the commands that use it.
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
    # Lazy: the engine's code, only for the commands that use it.
    from exshell.transport.delivery.opath import FilterError, matches

    if terms is None:
        return True
    try:
        return matches(terms, props)
    except FilterError as exc:
        cmdlet.throw_terminating(str(exc), f"InvalidFilter,{cmdlet.name}", "InvalidArgument")
        return False


def _split_server(cmdlet: Cmdlet, text: str) -> tuple[str | None, str]:
    """`SERVER\\rest` → ('SERVER', 'rest') when the first part names this server (or, on a shared store, any
    server of the organization, by name or FQDN); else (None, text)."""
    first, sep, rest = text.strip().partition("\\")
    if sep and first.lower() == _server(cmdlet).lower():
        return _server(cmdlet), rest
    if sep and _shared(cmdlet):
        server = current_config(cmdlet).server(first)
        if server is not None:
            return server.name, rest
    return None, text.strip()


def resolve_queues(cmdlet: Cmdlet, view: QueueView, identity: str) -> list[Any]:
    """A QueueIdentity: `SERVER\\n`, `SERVER\\Submission|Unreachable|Poison`, `SERVER\\NextHopDomain`, or the
    same without the server."""
    _, rest = _split_server(cmdlet, identity)
    key = rest.lower()
    found = []
    for q in view.queues:
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
            "Server", T.STRING, pipeline=True, sets=("Server",), help="The server (by name or FQDN; default: this server, or on a fleet's shared store every server)."
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
        terms = _filter(self)
        identity = self.params.get("Identity")  # -Identity $null lists all, as no -Identity
        queues: list[Any] = []
        failed = False
        for view in views(self, "queues", identity):
            try:
                queues += resolve_queues(self, view, identity) if identity is not None else view.queues
            except ExshellError as exc:
                unavailable(self, view, exc)  # the other servers still answer
                failed = True
        if identity is not None and not queues and not failed:
            not_found(self, "queue", identity)
            return
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


def resolve_messages(cmdlet: Cmdlet, view: QueueView, identity: str) -> list[Any]:
    """A MessageIdentity: `SERVER\\queue\\id`, `queue\\id` or the InternalId alone (every queue holding it)."""
    _, rest = _split_server(cmdlet, identity)
    queue_part, _, msg_id = rest.rpartition("\\")
    found = [m for m in view.messages if m.internal_id == msg_id.strip()]
    if queue_part:
        queues = {q.key for q in resolve_queues(cmdlet, view, queue_part)}
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
        Parameter("Server", T.STRING, sets=("Filter",), help="The server (by name or FQDN; default: this server, or on a fleet's shared store every server)."),
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
        terms = _filter(self)
        identity, queue = self.params.get("Identity"), self.params.get("Queue")  # $null: as if not given
        messages: list[Any] = []
        queues_found = failed = False
        for view in views(self, "queued messages", identity if identity is not None else queue):
            try:
                if identity is not None:
                    messages += resolve_messages(self, view, identity)
                elif queue is not None:
                    keys = {q.key for q in resolve_queues(self, view, queue)}
                    queues_found = queues_found or bool(keys)
                    messages += [m for m in view.messages if m.queue_key in keys]
                else:
                    messages += view.messages
            except ExshellError as exc:
                unavailable(self, view, exc)  # the other servers still answer
                failed = True
        if identity is not None and not messages and not failed:
            not_found(self, "message", identity)
            return
        if identity is None and queue is not None and not queues_found and not failed:
            not_found(self, "queue", queue)
            return
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


def _ask(cmdlet: Cmdlet, view: QueueView, action: str, args: dict[str, Any], target: str) -> bool:
    """Send one request to the server's delivery service; report a refusal as a non-terminating error. This
    machine's service not running is terminating (nothing else can be done here); another server's engine that
    can't be asked is that server's error, and the next server is still asked."""
    # Lazy: the engine's code, only for the commands that use it.
    from exshell.transport.delivery import control

    try:
        ack = view.act(action, args)
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
    except ExshellError as exc:  # remote: QueueRequestError (not connected, no answer) or the store's error
        if getattr(exc, "reason", "") == "no-answer":
            cmdlet.write_error(str(exc), f"TransportEngineNoAnswer,{cmdlet.name}", "OperationTimeout", target)
        else:
            unavailable(cmdlet, view, exc)
        return False
    if ack.get("reason") == "not-running":  # another server's agent answered; its delivery service is stopped
        cmdlet.write_error(str(ack.get("message")), f"TransportEngineNotRunning,{cmdlet.name}",
                           "ResourceUnavailable", target)
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
            "Server", T.STRING, pipeline=True, sets=("Filter",), help="The server (by name or FQDN; default: this server, or on a fleet's shared store every server)."
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
        identity = self.params["Identity"] if self.params.is_bound("Identity") else None
        terms = _filter(self) if identity is None else None
        found: list[tuple[QueueView, Any]] = []
        failed = False
        for view in views(self, "queues", identity):
            try:
                if identity is not None:
                    found += [(view, q) for q in resolve_queues(self, view, identity)]
                else:
                    found += [(view, q) for q in view.queues if _keep(self, terms, q.to_properties())]
            except ExshellError as exc:
                unavailable(self, view, exc)
                failed = True
        if identity is not None and not found and not failed:
            not_found(self, "queue", identity)
            return
        resubmit = bool(self.params.get("Resubmit", False))
        for view, q in found:
            if q.key == "Submission":
                continue  # nothing to retry: the service routes the Submission queue continuously
            verb = "Resubmitting" if resubmit else "Retrying"
            if self.should_process(q.identity, description=f'{verb} queue "{q.identity}".'):
                _ask(self, view, "retry-queue", {"queue": q.key, "resubmit": resubmit}, q.identity)


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
            "Server", T.STRING, pipeline=True, sets=("Filter",), help="The server (by name or FQDN; default: this server, or on a fleet's shared store every server)."
        ),
    )

    def extra_args(self) -> dict[str, Any]:
        return {}

    def process(self) -> None:
        identity = self.params["Identity"] if self.params.is_bound("Identity") else None
        terms = _filter(self) if identity is None else None
        found: list[tuple[QueueView, Any]] = []
        failed = False
        for view in views(self, "queued messages", identity):
            try:
                if identity is not None:
                    found += [(view, m) for m in resolve_messages(self, view, identity)]
                else:
                    found += [(view, m) for m in view.messages
                              if _keep(self, terms, {**m.to_properties(), "Recipients": list(m.recipients)})]
            except ExshellError as exc:
                unavailable(self, view, exc)
                failed = True
        if identity is not None and not found and not failed:
            not_found(self, "message", identity)
            return
        progress = LoopProgress(self, f"{self.verb} messages")
        for done, (view, m) in enumerate(found):
            progress.step(done, len(found), m.identity)
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
                    view,
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
