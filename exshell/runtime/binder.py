"""Parameter binding (binding.md §2–§8): command-line arguments and pipeline input → parameter values.

One binder for cmdlets and script functions: both describe themselves as a tuple of `Parameter`s
(exshell/cmdlets/base.py). Message texts and FullyQualifiedErrorIds follow binding.md §12.1 exactly; the id is
`{ErrorId},{error_source}` (the cmdlet's .NET class name, or its own name for Exchange cmdlets/functions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from collections.abc import Callable

from exshell.errors import Category, ErrorRecord, PSRuntimeError
from exshell.lang.position import Span
from exshell.runtime.binder_pipeline import PipelineBindingMixin, exact_match, property_of  # noqa: F401
from exshell.runtime.convert import ConversionError, convert_for_parameter
from exshell.runtime.parameters import (
    ALL_SETS,
    COMMON_NAMES,
    BoundParameters,
    ListModifier,
    Parameter,
)
from exshell.runtime.values import PSHashtable, ScriptBlockValue, enumerate_value, to_string

if TYPE_CHECKING:  # pragma: no cover
    from exshell.runtime.host import Host


BINDING_EXCEPTION = "ParameterBindingException"


# BindArg, CommandMeta and BindState are the binder's own working records: plain slotted classes, not
# dataclasses, because generating a dataclass costs about a millisecond of every start-up.


class BindArg:
    """One element of a command's argument list (binding.md §2).

    kind: 'named' (name given; `has_value` when `-Name:value` or from a splat) or 'positional'."""

    __slots__ = ("kind", "name", "value", "has_value", "token_text", "span", "splatted", "param", "consumed",
                 "value_span")

    def __init__(
        self,
        kind: str,
        name: str | None = None,
        value: Any = None,
        has_value: bool = False,
        token_text: str | None = None,
        span: Span | None = None,
        splatted: bool = False,
        param: Parameter | None = None,
        consumed: bool = False,
        value_span: Span | None = None,
    ) -> None:
        self.kind = kind
        self.name = name
        self.value = value
        self.has_value = has_value
        self.token_text = token_text
        self.span = span
        self.splatted = splatted
        self.param = param  # resolved parameter for named elements
        self.consumed = consumed
        self.value_span = value_span  # the argument's own extent (conversion errors point there)

    def __repr__(self) -> str:
        return f"BindArg({self.kind!r}, name={self.name!r}, value={self.value!r})"


class CommandMeta:
    """What the binder needs to know about a command."""

    __slots__ = ("name", "parameters", "all_parameters", "sets", "default_set", "error_source", "simple_function",
                 "compiled")

    def __init__(
        self,
        name: str,
        parameters: tuple[Parameter, ...],
        all_parameters: tuple[Parameter, ...],
        sets: tuple[str, ...],
        default_set: str | None,
        error_source: str,
        simple_function: bool = False,
        compiled: bool = False,
    ) -> None:
        self.name = name
        self.parameters = parameters  # declared parameters
        self.all_parameters = all_parameters  # declared + common
        self.sets = sets
        self.default_set = default_set
        self.error_source = error_source
        self.simple_function = simple_function  # non-advanced function: leftovers go to $args, not errors
        # A cmdlet (compiled in PowerShell/Exchange): `$null` is not converted to a value type or Boolean as a
        # script function's typed parameter does (`[int]$x = $null` is 0), it is refused (see Binder.convert).
        self.compiled = compiled

    @staticmethod
    def of_cmdlet(cls: Any) -> "CommandMeta":
        return CommandMeta(
            name=cls.name,
            parameters=tuple(cls.parameters),
            all_parameters=cls.all_parameters(),
            sets=cls.parameter_sets(),
            default_set=cls.default_set,
            error_source=cls.error_source or cls.name,
            compiled=True,
        )


class BindState:
    """Values bound so far (by lower-case declared name) and the still-possible parameter sets."""

    __slots__ = ("values", "valid_sets", "delay", "extra_args", "chosen_set")

    def __init__(
        self,
        values: dict[str, tuple[Parameter, Any]] | None = None,
        valid_sets: list[str] | None = None,
        delay: dict[str, tuple[Parameter, Any]] | None = None,
        extra_args: list[Any] | None = None,
        chosen_set: str | None = None,
    ) -> None:
        self.values = {} if values is None else values
        self.valid_sets = [] if valid_sets is None else valid_sets
        self.delay = {} if delay is None else delay  # delay-bind script blocks
        self.extra_args = [] if extra_args is None else extra_args  # $args of simple functions
        self.chosen_set = chosen_set

    def copy(self) -> "BindState":
        return BindState(dict(self.values), list(self.valid_sets), dict(self.delay), list(self.extra_args),
                         self.chosen_set)

    def is_bound(self, p: Parameter) -> bool:
        return p.name.lower() in self.values or p.name.lower() in self.delay

    def bound_parameters(self) -> BoundParameters:
        b = BoundParameters()
        for p, v in self.values.values():
            b.set(p.name, v)
        return b


class ParameterToken(str):
    """A `-Name` that a simple function received in $args: a string `-Name`, but `@args` splats it back as a
    parameter name (PowerShell keeps the token's parameter-ness for `@args`)."""

    param_name: str

    def __new__(cls, name: str) -> "ParameterToken":
        obj = super().__new__(cls, "-" + name)
        obj.param_name = name
        return obj


def arg_display(value: Any) -> str:
    """How an unbound argument is shown in PositionalParameterNotFound: its .NET ToString()."""
    if enumerate_value(value) is not None:
        return "System.Object[]"
    return to_string(value)


class Binder(PipelineBindingMixin):
    """Binds one command. `invoke_delay(sb, obj)` evaluates a delay-bind script block with `$_` = obj."""

    def __init__(
        self,
        meta: CommandMeta,
        invocation_name: str,
        command_span: Span | None,
        host: "Host | None" = None,
        pipeline_position: int = 1,
        invoke_delay: Callable[[Any, Any], Any] | None = None,
    ) -> None:
        self.meta = meta
        self.invocation_name = invocation_name
        self.command_span = command_span
        self.host = host
        self.pipeline_position = pipeline_position
        self.invoke_delay = invoke_delay
        self._pipeline_error: PSRuntimeError | None = None

    # ------------------------------------------------------------------ errors

    def error(
        self,
        error_id: str,
        message: str,
        span: Span | None = None,
        category: str = Category.InvalidArgument,
        exception_type: str = BINDING_EXCEPTION,
        target: Any = None,
    ) -> PSRuntimeError:
        return PSRuntimeError(self.record(error_id, message, span, category, exception_type, target))

    def record(
        self,
        error_id: str,
        message: str,
        span: Span | None = None,
        category: str = Category.InvalidArgument,
        exception_type: str = BINDING_EXCEPTION,
        target: Any = None,
    ) -> ErrorRecord:
        return ErrorRecord(
            message=message,
            error_id=f"{error_id},{self.meta.error_source}",
            category=category,
            target=target,
            exception_type=exception_type,
            command=self.invocation_name,
            activity=self.meta.name,
            span=span or self.command_span,
        )

    # ------------------------------------------------------------------ name resolution (§4)

    def match_parameter(self, typed: str, span: Span | None) -> Parameter | None:
        t = typed.lower()
        params = self.meta.all_parameters
        for p in params:
            if p.name.lower() == t or any(a.lower() == t for a in p.aliases):
                return p
        cands = [p for p in params if p.name.lower().startswith(t) or any(a.lower().startswith(t) for a in p.aliases)]
        if not cands:
            return None
        if len(cands) == 1:
            return cands[0]
        declared = [p for p in cands if p.name.lower() not in COMMON_NAMES]
        if len(declared) == 1:
            return declared[0]
        names = " ".join(f"-{p.name}" for p in cands)
        raise self.error(
            "AmbiguousParameter",
            f"Parameter cannot be processed because the parameter name '{typed}' is ambiguous. "
            f"Possible matches include: {names}.",
            span,
        )

    # ------------------------------------------------------------------ sets

    def _initial_sets(self) -> list[str]:
        return list(self.meta.sets) or [self.meta.default_set or ALL_SETS]

    def _narrow(self, state: BindState, p: Parameter) -> None:
        if p.set_names():
            state.valid_sets = [s for s in state.valid_sets if p.in_set(s)]

    def _sets_of(self, p: Parameter, state: BindState) -> list[str]:
        return [s for s in state.valid_sets if p.in_set(s)]

    # ------------------------------------------------------------------ conversion and validation (§5)

    def convert(self, p: Parameter, value: Any, token_text: str | None, span: Span | None) -> Any:
        if value is None and p.type.multivalued and p.allow_null:
            value = []  # Exchange: $null assigned to a multi-valued property that allows it clears the list
        if value is None and self.meta.compiled and not p.allow_null and not p.is_switch:
            self._refuse_null_value_type(p, span)
        if p.type.multivalued and isinstance(value, PSHashtable):
            converted: Any = self._list_modifier(p, value, span)
        else:
            try:
                converted = convert_for_parameter(value, p.type, p.name, token_text)
            except ConversionError as e:
                raise self.error(e.error_id or "CannotConvertArgumentNoMessage", e.message, span) from None
        self.validate(p, converted, span)
        return converted

    def _list_modifier(self, p: Parameter, table: Any, span: Span | None) -> ListModifier:
        """binding.md §10: @{Add=…; Remove=…; Replace=…}, items converted to the element type."""
        parts: dict[str, tuple[Any, ...]] = {}
        for key, items in table.items():
            k = str(key).lower()
            if k not in ("add", "remove", "replace"):
                raise self.error(
                    "CannotConvertArgumentNoMessage",
                    f"Cannot bind parameter '{p.name}'. The following unknown list modifier was detected: "
                    f"'{key}'. Valid list modifiers are Add, Remove, and Replace.",
                    span,
                )
            if items is None:
                parts[k] = ()
                continue
            try:
                conv = convert_for_parameter(items, p.type, p.name, None)
            except ConversionError as e:
                raise self.error(e.error_id or "CannotConvertArgumentNoMessage", e.message, span) from None
            parts[k] = tuple(conv) if isinstance(conv, (list, tuple)) else (conv,)
        return ListModifier(
            add=parts.get("add", ()), remove=parts.get("remove", ()), replace=parts.get("replace")
        )

    def _is_mandatory(self, p: Parameter) -> bool:
        return p.mandatory or any(a.mandatory for a in p.per_set.values())

    # The one place that decides whether `$null`, '' or an empty collection may bind (binding.md §5, §12.1).
    # PowerShell: a cmdlet's Boolean parameter refuses $null (HandleNullParameterForSpecialTypes), a value
    # type cannot take it (the argument transformation Exchange's proxy functions apply fails), and a
    # mandatory parameter refuses $null, '' and an empty collection (ValidateNullOrEmptyArgument) unless it
    # declares [AllowNull()], [AllowEmptyString()], [AllowEmptyCollection()]. Exchange's multi-valued
    # properties (RemoteIPRanges, Bindings, ...) follow the mandatory rule: a list is edited with
    # @{Add=...;Remove=...} or replaced by a non-empty list; one that declares allow_null takes $null as "clear
    # the list" (Set-TransportConfig -InternalSMTPServers $null). Reference types (strings, identities, objects)
    # take $null: Set-ReceiveConnector -Banner $null clears the banner.

    def _null_error(self, p: Parameter, span: Span | None, category: str = Category.InvalidData) -> PSRuntimeError:
        return self.error(
            "ParameterArgumentValidationErrorNullNotAllowed",
            f"Cannot bind argument to parameter '{p.name}' because it is null.",
            span,
            category=category,
            exception_type="ParameterBindingValidationException",
        )

    def _refuse_null_value_type(self, p: Parameter, span: Span | None) -> None:
        if p.type.kind == "bool":
            raise self._null_error(p, span, Category.InvalidArgument)
        if p.type.multivalued or self._is_mandatory(p):
            raise self._null_error(p, span)
        if p.type.is_value_type:
            raise self.error(
                "ParameterArgumentTransformationError",
                f"Cannot process argument transformation on parameter '{p.name}'. Cannot convert null to type "
                f'"{p.type.net_name}".',
                span,
                category=Category.InvalidData,
                exception_type="ParameterBindingArgumentTransformationException",
            )

    def _check_null_or_empty(self, p: Parameter, value: Any, span: Span | None) -> None:
        if isinstance(value, ListModifier) or not (self._is_mandatory(p) or p.type.multivalued):
            return
        if value is None:
            if not p.allow_null:
                raise self._null_error(p, span)
            return
        if p.allow_empty:
            return
        if p.type.kind == "string" and isinstance(value, str) and value == "":
            raise self._empty_string_error(p, span)
        if not p.type.array or not isinstance(value, (list, tuple)):
            return
        for item in value:
            if item is None and not p.type.is_value_type and not p.allow_null:
                raise self._null_error(p, span)
            if p.type.kind == "string" and item == "":
                raise self._empty_string_error(p, span)
        if len(value) == 0:
            # An array parameter ([string[]]) says "array", a collection type (MultiValuedProperty) "collection".
            what = "array" if p.type.net_name.endswith("[]") else "collection"
            raise self.error(
                f"ParameterArgumentValidationErrorEmpty{what.capitalize()}NotAllowed",
                f"Cannot bind argument to parameter '{p.name}' because it is an empty {what}.",
                span,
                category=Category.InvalidData,
                exception_type="ParameterBindingValidationException",
            )

    def _empty_string_error(self, p: Parameter, span: Span | None) -> PSRuntimeError:
        return self.error(
            "ParameterArgumentValidationErrorEmptyStringNotAllowed",
            f"Cannot bind argument to parameter '{p.name}' because it is an empty string.",
            span,
            category=Category.InvalidData,
            exception_type="ParameterBindingValidationException",
        )

    def validate(self, p: Parameter, value: Any, span: Span | None) -> None:
        self._check_null_or_empty(p, value, span)
        if p.validate is not None and value is not None and not isinstance(value, ListModifier):
            try:
                p.validate(value)
            except Exception as e:  # noqa: BLE001 - PowerShell wraps whatever a validation attribute throws
                raise self.error(
                    "ParameterArgumentValidationError",
                    f"Cannot validate argument on parameter '{p.name}'. {e}",
                    span,
                    category=Category.InvalidData,
                    exception_type="ParameterBindingValidationException",
                ) from None

    # ------------------------------------------------------------------ binding one value

    @staticmethod
    def _delay_bindable(p: Parameter, s_attrs: Any) -> bool:
        return (s_attrs.pipeline or s_attrs.by_property_name) and p.type.kind not in ("scriptblock", "object")

    def _try_bind(self, state: BindState, p: Parameter, value: Any, token_text: str | None, coerce: bool,
                  span: Span | None, allow_delay: bool = True) -> bool:
        """Bind value to p (no coercion: only when the type already matches). True on success."""
        if allow_delay and isinstance(value, ScriptBlockValue):
            sets = self._sets_of(p, state)
            if any(self._delay_bindable(p, p.attrs_for(s)) for s in sets):
                state.delay[p.name.lower()] = (p, value)
                self._narrow(state, p)
                return True
        if not coerce:
            if token_text is not None and p.type.kind == "string":
                return False  # a number literal typed for a [string] keeps its spelling: coercion pass
            if not exact_match(value, p.type):
                return False
        converted = self.convert(p, value, token_text, span)
        state.values[p.name.lower()] = (p, converted)
        self._narrow(state, p)
        return True

    # ------------------------------------------------------------------ command line (§3)

    def bind_command_line(self, args: list[BindArg], expecting_input: bool) -> BindState:
        state = BindState(valid_sets=self._initial_sets())
        args = [a for a in args if not a.splatted] + [a for a in args if a.splatted]
        args = self._reparse(args)
        self._bind_named(state, args)
        positional_error = self._bind_positional(state, args)
        self._bind_remaining(state, args)
        self._verify_processed(state, args, positional_error)
        if not state.valid_sets:
            raise self._ambiguous_set()
        if state.delay and not expecting_input:
            p = next(iter(state.delay.values()))[0]
            raise self.error(
                "ScriptBlockArgumentNoInput",
                f"Cannot evaluate parameter '{p.name}' because its argument is specified as a script block and "
                "there is no input. A script block cannot be evaluated without input.",
                category=Category.InvalidArgument,
            )
        self._handle_mandatory(state, expecting_input)
        if not expecting_input:
            state.chosen_set = self._choose_set(state)
        return state

    def _reparse(self, args: list[BindArg]) -> list[BindArg]:
        """Step 1: give each `-Name` without a value its value (switches take none)."""
        out: list[BindArg] = []
        i = 0
        while i < len(args):
            a = args[i]
            i += 1
            if a.kind != "named":
                out.append(a)
                continue
            p = self.match_parameter(a.name or "", a.span)
            a.param = p
            if p is None or a.has_value:
                out.append(a)
                continue
            if p.is_switch:
                a.value, a.has_value = True, True
                out.append(a)
                continue
            nxt = args[i] if i < len(args) else None
            if nxt is None or (nxt.kind == "named" and (nxt.has_value or self._resolves(nxt))):
                raise self.error(
                    "MissingArgument",
                    f"Missing an argument for parameter '{p.name}'. Specify a parameter of type "
                    f"'{p.type.net_name}' and try again.",
                    a.span,
                )
            i += 1
            if nxt.kind == "named":
                a.value, a.token_text = "-" + (nxt.name or ""), None
            else:
                a.value, a.token_text = nxt.value, nxt.token_text
                a.value_span = nxt.span
            a.has_value = True
            out.append(a)
        return out

    def _resolves(self, a: BindArg) -> bool:
        try:
            return self.match_parameter(a.name or "", a.span) is not None
        except PSRuntimeError:
            return True

    def _bind_named(self, state: BindState, args: list[BindArg]) -> None:
        explicit: set[str] = set()
        for a in args:
            if a.kind != "named" or a.param is None:
                continue
            p = a.param
            key = p.name.lower()
            if key in state.values or key in state.delay:
                if a.splatted and key in explicit:
                    a.consumed = True  # PS 7.1+: an explicit parameter wins over a splatted one, silently
                    continue
                raise self.error(
                    "ParameterAlreadyBound",
                    f"Cannot bind parameter because parameter '{p.name}' is specified more than once. To provide "
                    "multiple values to parameters that can accept multiple values, use the array syntax. For "
                    'example, "-parameter value1,value2,value3".',
                    a.span,
                )
            self._try_bind(state, p, a.value, a.token_text, True, a.value_span or a.span)
            if not a.splatted:
                explicit.add(key)
            a.consumed = True

    def _bind_positional(self, state: BindState, args: list[BindArg]) -> PSRuntimeError | None:
        positional = [a for a in args if a.kind == "positional"]
        first_error: PSRuntimeError | None = None
        positions: set[int] = set()
        for p in self.meta.parameters:
            if p.remaining:
                continue
            for s in state.valid_sets:
                if p.in_set(s) and p.attrs_for(s).position is not None:
                    positions.add(p.attrs_for(s).position)  # type: ignore[arg-type]
        ai = 0
        for pos in sorted(positions):
            if ai >= len(positional):
                break
            cands: list[tuple[Parameter, str]] = []
            for p in self.meta.parameters:
                if p.remaining or state.is_bound(p):
                    continue
                for s in state.valid_sets:
                    if p.in_set(s) and p.attrs_for(s).position == pos:
                        cands.append((p, s))
            if not cands:
                continue
            per_set: dict[str, int] = {}
            for _p, s in cands:
                per_set[s] = per_set.get(s, 0) + 1
            if any(n > 1 for n in per_set.values()):
                raise self.error(
                    "AmbiguousPositionalParameterNoName",
                    "Cannot bind positional parameters because no names were given.",
                    positional[ai].span,
                )
            arg = positional[ai]
            ai += 1
            bound = False
            for coerce in (False, True):
                for default_only in (True, False):
                    for p, s in cands:
                        if default_only and s != self.meta.default_set:
                            continue
                        if s not in state.valid_sets or state.is_bound(p):
                            continue
                        try:
                            if self._try_bind(state, p, arg.value, arg.token_text, coerce, arg.span):
                                bound = True
                                break
                        except PSRuntimeError as e:
                            if first_error is None:
                                first_error = e
                    if bound:
                        break
                if bound:
                    break
            if bound:
                arg.consumed = True
        return first_error

    def _bind_remaining(self, state: BindState, args: list[BindArg]) -> None:
        leftovers = [a for a in args if a.kind == "positional" and not a.consumed]
        if not leftovers:
            return
        for p in self.meta.parameters:
            if not p.remaining or state.is_bound(p) or not self._sets_of(p, state):
                continue
            value: Any = leftovers[0].value if len(leftovers) == 1 else [a.value for a in leftovers]
            token = leftovers[0].token_text if len(leftovers) == 1 else None
            self._try_bind(state, p, value, token, True, leftovers[0].span, allow_delay=False)
            for a in leftovers:
                a.consumed = True
            return

    def _verify_processed(self, state: BindState, args: list[BindArg], positional_error: PSRuntimeError | None) -> None:
        for a in args:
            if a.consumed:
                continue
            if self.meta.simple_function:
                # about_Functions: a simple function gets every unbound argument in $args.
                if a.kind == "named":
                    state.extra_args.append(ParameterToken(a.name or ""))
                    if a.has_value:
                        state.extra_args.append(a.value)
                else:
                    state.extra_args.append(a.value)
                continue
            if a.kind == "named":
                raise self.error(
                    "NamedParameterNotFound",
                    f"A parameter cannot be found that matches parameter name '{a.name}'.",
                    a.span,
                )
            if positional_error is not None:
                raise positional_error
            raise self.error(
                "PositionalParameterNotFound",
                f"A positional parameter cannot be found that accepts argument '{arg_display(a.value)}'.",
                a.span,
            )

    # ------------------------------------------------------------------ parameter sets and mandatory (§6, §7)

    def _ambiguous_set(self, span: Span | None = None) -> PSRuntimeError:
        return self.error(
            "AmbiguousParameterSet",
            "Parameter set cannot be resolved using the specified named parameters. One or more parameters issued "
            "cannot be used together or an insufficient number of parameters were provided.",
            span,
        )

    def _missing_in_set(self, state: BindState, s: str, expecting_input: bool) -> list[Parameter]:
        missing = []
        for p in self.meta.parameters:
            if not p.in_set(s) or state.is_bound(p):
                continue
            a = p.attrs_for(s)
            if not a.mandatory:
                continue
            if expecting_input and (a.pipeline or a.by_property_name):
                continue
            missing.append(p)
        return missing

    def _choose_set(self, state: BindState) -> str:
        valid = state.valid_sets
        if not valid:
            raise self._ambiguous_set()
        if len(valid) == 1:
            return valid[0]
        if self.meta.default_set in valid:
            return self.meta.default_set  # type: ignore[return-value]
        complete = [s for s in valid if not self._missing_in_set(state, s, False)]
        if len(complete) == 1:
            return complete[0]
        raise self._ambiguous_set()

    def _set_for_mandatory(self, state: BindState) -> str | None:
        valid = state.valid_sets
        if len(valid) == 1:
            return valid[0]
        if self.meta.default_set in valid:
            return self.meta.default_set
        complete = [s for s in valid if not self._missing_in_set(state, s, False)]
        if len(complete) == 1:
            return complete[0]
        return None

    def _handle_mandatory(self, state: BindState, expecting_input: bool) -> None:
        # The set choice waits for the input objects while one of the remaining sets could still be
        # completed from the pipeline (`Get-ADPermission X | Remove-ADPermission`: the Instance set).
        if expecting_input and len(state.valid_sets) > 1 and any(
            not self._missing_in_set(state, vs, True) for vs in state.valid_sets
        ):
            return
        s = self._set_for_mandatory(state)
        if s is None:
            if expecting_input:
                return
            # Still ambiguous: parameters mandatory in every remaining set are missing for sure.
            common = None
            for vs in state.valid_sets:
                names = {p.name.lower() for p in self._missing_in_set(state, vs, False)}
                common = names if common is None else common & names
            missing = [p for p in self.meta.parameters if p.name.lower() in (common or set())]
        else:
            missing = self._missing_in_set(state, s, expecting_input)
        if not missing:
            return
        if self.host is not None and self.host.interactive:
            self._prompt_mandatory(state, missing)
            return
        listed = "".join(f" {p.name}" for p in missing)
        raise self.error(
            "MissingMandatoryParameter",
            f"Cannot process command because of one or more missing mandatory parameters:{listed}.",
        )

    def _prompt_mandatory(self, state: BindState, missing: list[Parameter]) -> None:
        """binding.md §7: the console host's prompt for missing mandatory parameters."""
        host = self.host
        assert host is not None
        host.write_line("")
        host.write_line(f"cmdlet {self.meta.name} at command pipeline position {self.pipeline_position}")
        host.write_line("Supply values for the following parameters:")
        # `(Type !? for Help.)` appears only for a [Parameter(HelpMessage=...)], which declarations do not model.
        try:
            for p in missing:
                if p.type.array:
                    items: list[str] = []
                    for i in range(10_000):
                        text = host.prompt_line(f"{p.name}[{i}]: ")
                        if text == "":
                            break
                        items.append(text)
                    value: Any = items
                    state.values[p.name.lower()] = (p, self.convert(p, value, None, None))
                else:
                    last: PSRuntimeError | None = None
                    for _ in range(20):  # a failed conversion re-prompts (bounded)
                        text = host.prompt_line(f"{p.name}: ")
                        try:
                            state.values[p.name.lower()] = (p, self.convert(p, text, None, None))
                            last = None
                            break
                        except PSRuntimeError as e:
                            if e.record.error_id.startswith("ParameterArgumentValidation"):
                                raise
                            last = e
                            host.write_error_text(e.record.message)
                    if last is not None:
                        raise last
                self._narrow(state, p)
        except (EOFError, KeyboardInterrupt):
            names = "".join(f" {p.name}" for p in missing if not state.is_bound(p))
            raise self.error(
                "MissingMandatoryParameter",
                f"Cannot process command because of one or more missing mandatory parameters:{names}.",
            ) from None
