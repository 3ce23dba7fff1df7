"""Property tests for parameter-name resolution (binding.md §4) on the Set-Thing declaration."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from exshell.cmdlets.base import Cmdlet, Parameter, T
from exshell.errors import PSRuntimeError
from exshell.runtime.binder import Binder, CommandMeta


class SetThing(Cmdlet):
    name = "Set-Thing"
    supports_should_process = True
    parameters = (
        Parameter("Identity", T.STRING, position=0, mandatory=True, pipeline=True),
        Parameter("Name", T.STRING),
        Parameter("Banner", T.STRING),
        Parameter("Port", T.INT),
        Parameter("Enabled", T.BOOL),
        Parameter("RemoteIPRanges", T.STRINGS),
        Parameter("RemoveX", T.STRING),
        Parameter("Force", T.SWITCH),
    )


META = CommandMeta.of_cmdlet(SetThing)
ALL = META.all_parameters


def candidates(prefix: str) -> list[Parameter]:
    p = prefix.lower()
    return [x for x in ALL if x.name.lower().startswith(p) or any(a.lower().startswith(p) for a in x.aliases)]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([p.name for p in ALL]), st.integers(min_value=1, max_value=20), st.booleans())
def test_prefix_resolution_agrees_with_the_rules(name, cut, upper):
    typed = name[:cut]
    typed = typed.upper() if upper else typed.lower()
    binder = Binder(META, "Set-Thing", None)
    cands = candidates(typed)
    exact = [x for x in ALL if x.name.lower() == typed.lower() or typed.lower() in (a.lower() for a in x.aliases)]
    declared = [x for x in cands if x.name not in {c.name for c in ALL[len(META.parameters):]}]
    try:
        got = binder.match_parameter(typed, None)
    except PSRuntimeError as e:
        assert not exact and len(cands) > 1 and len(declared) != 1
        assert e.record.error_id == "AmbiguousParameter,Set-Thing"
        assert e.record.message.endswith(" ".join(f"-{c.name}" for c in cands) + ".")
        return
    if exact:
        assert got is exact[0]
    elif len(cands) == 1:
        assert got is cands[0]
    else:
        assert got is declared[0]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12))
def test_unknown_names_never_resolve(text):
    binder = Binder(META, "Set-Thing", None)
    if candidates(text):
        return
    assert binder.match_parameter(text, None) is None
