"""Pipeline input binding (binding.md §8): per input object, on top of the command-line state.

Four passes: ValueFromPipeline without coercion, ByPropertyName without coercion, then both with coercion;
already-bound parameters are never overwritten; failures are non-terminating for that object.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

from exshell.errors import Category, ErrorRecord, PSRuntimeError
from exshell.runtime.members import get_member, property_names
from exshell.runtime.parameters import ParamType
from exshell.runtime.values import PSHashtable, PSObject, ScriptBlockValue, enumerate_value

if TYPE_CHECKING:  # pragma: no cover
    from exshell.runtime.binder import BindState


class PipelineBindingMixin:
    """Mixed into Binder (which provides the helpers declared below)."""

    if TYPE_CHECKING:  # pragma: no cover
        meta: Any
        invoke_delay: Any
        _pipeline_error: PSRuntimeError | None

        def record(self, error_id: str, message: str, *args: Any, **kwargs: Any) -> ErrorRecord: ...
        def convert(self, p: Any, value: Any, token_text: str | None, span: Any) -> Any: ...
        def _narrow(self, state: "BindState", p: Any) -> None: ...
        def _set_for_mandatory(self, state: "BindState") -> str | None: ...
        def _missing_in_set(self, state: "BindState", s: str, expecting_input: bool) -> list[Any]: ...
        def _ambiguous_set(self, span: Any = None) -> PSRuntimeError: ...
        def _try_bind(self, state: "BindState", p: Any, value: Any, token_text: str | None, coerce: bool,
                      span: Any, allow_delay: bool = True) -> bool: ...

    def bind_pipeline_object(self, base: "BindState", obj: Any) -> tuple["BindState | None", ErrorRecord | None]:
        """Bind one input object on top of the command-line state. Returns (state, None) or (None, error) where
        the error is non-terminating for this object."""
        state = base.copy()
        state.delay = {}
        bound_any = False
        try:
            for key, (p, sb) in base.delay.items():
                assert self.invoke_delay is not None
                value = self.invoke_delay(sb, obj)
                converted = self.convert(p, value, None, None)
                state.values[key] = (p, converted)
                self._narrow(state, p)
                bound_any = True
            self._pipeline_error = None
            for coerce in (False, True):
                for by_value in (True, False):
                    if self._pipeline_pass(state, obj, by_value, coerce):
                        bound_any = True
            if not bound_any and self._pipeline_error is not None:
                raise self._pipeline_error
        except PSRuntimeError as e:
            e.record.target = obj
            return None, e.record
        if not bound_any:
            return None, self.record(
                "InputObjectNotBound",
                "The input object cannot be bound to any parameters for the command either because the command "
                "does not take pipeline input or the input and its properties do not match any of the parameters "
                "that take pipeline input.",
                category=Category.InvalidArgument,
                target=obj,
            )
        s = self._set_for_mandatory(state)
        if s is None:
            return None, self._ambiguous_set().record
        state.chosen_set = s
        missing = self._missing_in_set(state, s, False)
        if missing:
            names = "".join(f" {p.name}" for p in missing)
            return None, self.record(
                "InputObjectMissingMandatory",
                "The input object cannot be bound because it did not contain the information required to bind "
                f"all mandatory parameters: {names}",
                target=obj,
            )
        return state, None

    def _pipeline_candidates(self, set_name: str) -> list[tuple[Any, Any]]:
        """The (parameter, attributes) of a set that take pipeline input, computed once per command: the
        passes run for every input object, so a pipeline of thousands must not rescan every parameter."""
        cache = self.__dict__.setdefault("_pipe_cache", {})
        got = cache.get(set_name)
        if got is None:
            got = []
            for p in self.meta.parameters:
                if p.in_set(set_name):
                    a = p.attrs_for(set_name)
                    if a.pipeline or a.by_property_name:
                        got.append((p, a))
            cache[set_name] = got
        return got

    def _pipeline_pass(self, state: "BindState", obj: Any, by_value: bool, coerce: bool) -> bool:
        bound = False
        default = self.meta.default_set
        ordered_sets = sorted(state.valid_sets, key=lambda s: 0 if s == default else 1)
        for s in ordered_sets:
            for p, a in self._pipeline_candidates(s):
                if state.is_bound(p) or s not in state.valid_sets:
                    continue
                if by_value:
                    if not a.pipeline:
                        continue
                    value = obj
                else:
                    if not a.by_property_name:
                        continue
                    found, value = property_of(obj, (p.name,) + tuple(p.aliases))
                    if not found:
                        continue
                try:
                    if self._try_bind(state, p, value, None, coerce, None, allow_delay=False):
                        bound = True
                except PSRuntimeError as exc:
                    # A failed conversion only means this parameter can't take this object; another one
                    # (Identity by property name) may. The error surfaces only if nothing binds.
                    if coerce and self._pipeline_error is None:
                        self._pipeline_error = exc
        return bound



def property_of(obj: Any, names: tuple[str, ...]) -> tuple[bool, Any]:
    """(found, value) of the first property of obj named like one of names (ByPropertyName binding)."""
    if isinstance(obj, PSObject):
        for n in names:
            if obj.has(n):
                return True, obj.get(n)
        return False, None
    if obj is None or isinstance(obj, (str, int, float, bool, list, tuple, dict, PSHashtable)):
        return False, None
    available = {n.lower() for n in property_names(obj)}
    for n in names:
        if n.lower() in available:
            return True, get_member(obj, n)
    return False, None


def exact_match(value: Any, ptype: ParamType) -> bool:
    """True when value needs no conversion for ptype (the no-coercion binding passes)."""
    if ptype.array:
        items = enumerate_value(value)
        if items is None:
            return _scalar_match(value, ptype)
        return all(_scalar_match(v, ptype) for v in items)
    if enumerate_value(value) is not None and ptype.kind != "object":
        return False
    return _scalar_match(value, ptype)


def _scalar_match(value: Any, ptype: ParamType) -> bool:
    k = ptype.kind
    if k == "object":
        return True
    if value is None:
        return False
    if k == "string":
        return isinstance(value, str)
    if k in ("int", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    if k == "double":
        return isinstance(value, float)
    if k in ("bool", "switch"):
        return isinstance(value, bool)
    if k == "scriptblock":
        return isinstance(value, ScriptBlockValue)
    if k == "hashtable":
        return isinstance(value, PSHashtable)
    if k == "datetime":
        return isinstance(value, _dt.datetime)
    return False
