from __future__ import annotations

import tomllib
from datetime import UTC
from pathlib import Path

import tomlkit
from hypothesis import given, settings
from hypothesis import strategies as st

from exshell.store import open_store
from exshell.store.files import FileStore
from exshell.store.toml_doc import render

from .store_helpers import settled

RC = "receive_connectors"
DEFAULT = "11111111-1111-1111-1111-111111111111"


def test_config_has_header_section_and_object_comments(store: FileStore, state: Path) -> None:
    text = (state / "config.toml").read_text()
    assert text.startswith("# exshell configuration")
    assert "# Receive connectors:" in text
    lines = text.splitlines()
    header = lines.index(f"[{RC}.{DEFAULT}]")
    assert lines[header - 1] == "# Default EX01 (receive connector)"


def test_backslashes_and_quotes_round_trip(store: FileStore, state: Path) -> None:
    rec = {
        "Name": 'Relay "internal"',
        "Identity": "EX01\\Relay",
        "Path": "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\TransportRoles\\Logs",
        "User": "NT AUTHORITY\\ANONYMOUS LOGON",
        "Unicode": "Zürich — 東京",
    }
    store.commit(lambda d: d.put(RC, "k", rec))
    parsed = tomllib.loads((state / "config.toml").read_text())
    assert parsed[RC]["k"] == rec
    assert open_store(state).snapshot().get(RC, "k") == rec


def test_record_key_order_is_kept(store: FileStore, state: Path) -> None:
    rec = {"Name": "Z", "Zeta": 1, "Alpha": 2, "Mid": [3], "Beta": {"y": 1, "x": 2}}
    store.commit(lambda d: d.put(RC, "k", rec))
    assert list(tomllib.loads((state / "config.toml").read_text())[RC]["k"]) == list(rec)
    assert list(open_store(state).snapshot(2).get(RC, "k")) == list(rec)


def test_nested_tables_and_lists_of_tables_round_trip(store: FileStore, state: Path) -> None:
    aces = [
        {"User": "NT AUTHORITY\\ANONYMOUS LOGON", "ExtendedRights": ["ms-Exch-SMTP-Submit"], "Deny": False},
        {"User": "MS Exchange\\Externally Secured Servers", "ExtendedRights": [], "Deny": True},
    ]
    rec = {"Name": "R", "Aces": aces, "Limits": {"MaxMessageSize": 37748736, "Ratio": 0.5}}
    store.commit(lambda d: d.put(RC, "k", rec))
    fresh = open_store(state)
    assert fresh.snapshot().record(RC, "k") == rec
    assert tomllib.loads((state / "config.toml").read_text())[RC]["k"] == rec


def test_tomlkit_round_trip_of_the_file_is_exact(store: FileStore, state: Path) -> None:
    store.commit(lambda d: d.put(RC, "k", {"Name": "R", "Aces": [{"User": "a\\b"}], "T": {"x": 1}}))
    text = (state / "config.toml").read_text()
    assert tomlkit.dumps(tomlkit.parse(text)) == text


def test_property_change_keeps_hand_written_comments(store: FileStore, state: Path) -> None:
    path = state / "config.toml"
    text = path.read_text().replace(
        'Name = "Default EX01"', '# keep: opened for the scanners, ticket 4711\nName = "Default EX01"'
    )
    path.write_text(text)
    settled(path)
    assert store.current_version() == 2  # the comment-only edit is adopted as a version
    store.commit(lambda d: d.get(RC, DEFAULT)["RemoteIPRanges"].append("192.168.1.0/24"))
    after = path.read_text()
    assert "# keep: opened for the scanners, ticket 4711" in after
    assert "192.168.1.0/24" in after
    assert tomllib.loads(after)[RC][DEFAULT]["RemoteIPRanges"][-1] == "192.168.1.0/24"


def test_adding_and_removing_objects_rewrites_canonical_layout(store: FileStore, state: Path) -> None:
    store.commit(lambda d: d.put(RC, "k2", {"Name": "Relay"}))
    store.commit(lambda d: d.delete(RC, DEFAULT))
    text = (state / "config.toml").read_text()
    assert "Default EX01" not in text  # the object's comment went with it
    assert text == render(tomllib.loads(text))


_scalars = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False),
    st.datetimes(timezones=st.just(UTC)),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_datas = st.dictionaries(
    st.text(min_size=1, max_size=10),
    st.dictionaries(
        st.text(min_size=1, max_size=10),
        st.dictionaries(st.text(max_size=8), _values, max_size=4),
        min_size=1,
        max_size=3,
    ),
    max_size=3,
)


@settings(max_examples=100, deadline=None)
@given(data=_datas)
def test_canonical_file_reads_back_exactly_and_round_trips_through_tomlkit(data: dict) -> None:
    text = render(data)
    assert tomllib.loads(text) == data
    assert list(tomllib.loads(text)) == list(data)
    assert tomlkit.dumps(tomlkit.parse(text)) == text


def test_object_comment_stays_one_line_whatever_the_name(store: FileStore, state: Path) -> None:
    store.commit(lambda d: d.put(RC, "k", {"Name": "evil\n[receive_connectors.x]\nName = 1"}))
    assert tomllib.loads((state / "config.toml").read_text())[RC]["k"]["Name"].startswith("evil\n")
    assert open_store(state).current_version() == 2


def _hand_comment(state: Path, before_line: str, comment: str) -> str:
    """Insert an admin's comment line above `before_line`; the store adopts it as a version."""
    path = state / "config.toml"
    text = path.read_text().replace(before_line, f"{comment}\n{before_line}", 1)
    path.write_text(text)
    settled(path)
    return text


def test_changed_property_rewrites_only_its_line(store: FileStore, state: Path) -> None:
    store.commit(lambda d: d.put(RC, "k2", {"Name": "Other", "Banner": "220 x"}), command="add")
    _hand_comment(state, "RemoteIPRanges =", "# ranges agreed with the network team")
    assert store.current_version() == 3  # the comment alone is adopted as a (content-equal) version
    before = (state / "config.toml").read_text()
    store.commit(lambda d: d.get(RC, DEFAULT)["RemoteIPRanges"].append("10.0.0.9"), command="edit")
    after = (state / "config.toml").read_text()
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert changed == [('RemoteIPRanges = ["0.0.0.0-255.255.255.255"]',
                        'RemoteIPRanges = ["0.0.0.0-255.255.255.255", "10.0.0.9"]')]
    assert "# ranges agreed with the network team" in after
    assert tomllib.loads(after)[RC][DEFAULT]["RemoteIPRanges"] == ["0.0.0.0-255.255.255.255", "10.0.0.9"]


def test_added_and_removed_properties_and_multiline_values(store: FileStore, state: Path) -> None:
    aces = [{"User": "NT AUTHORITY\\ANONYMOUS LOGON", "Right": "ms-Exch-SMTP-Submit"}]

    def edit(doc) -> None:  # noqa: ANN001
        rec = doc.get(RC, DEFAULT)
        rec["ADPermissions"] = aces
        del rec["Bindings"]

    store.commit(edit, command="edit")
    store.commit(lambda d: d.get(RC, DEFAULT)["ADPermissions"].append(dict(aces[0], Right="x")), command="more")
    parsed = tomllib.loads((state / "config.toml").read_text())[RC][DEFAULT]
    assert "Bindings" not in parsed
    assert parsed["ADPermissions"] == aces + [dict(aces[0], Right="x")]
    assert FileStore(state).snapshot().get(RC, DEFAULT)["ADPermissions"][1]["Right"] == "x"


def test_comment_on_a_changed_line_is_kept(store: FileStore, state: Path) -> None:
    path = state / "config.toml"
    text = path.read_text().replace('RemoteIPRanges = ["0.0.0.0-255.255.255.255"]',
                                    'RemoteIPRanges = ["0.0.0.0-255.255.255.255"]  # everyone, for now')
    path.write_text(text)
    settled(path)
    store.commit(lambda d: d.get(RC, DEFAULT)["RemoteIPRanges"].append("10.0.0.9"), command="edit")
    after = path.read_text()
    assert "# everyone, for now" in after
    assert tomllib.loads(after)[RC][DEFAULT]["RemoteIPRanges"] == ["0.0.0.0-255.255.255.255", "10.0.0.9"]
