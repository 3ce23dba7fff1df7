from __future__ import annotations

from exshell.store.files import FileStore

RC = "receive_connectors"
DEFAULT = "11111111-1111-1111-1111-111111111111"


def _props(store: FileStore, a: int, b: int) -> list[tuple[str, str, object, object]]:
    return [(p.property, p.change, p.before, p.after) for oc in store.diff(a, b) for p in oc.properties]


def test_list_property_diff_is_per_element(store: FileStore) -> None:
    def mutate(doc):  # type: ignore[no-untyped-def]
        rec = doc.get(RC, DEFAULT)
        rec["RemoteIPRanges"] = ["10.0.0.0/8", "192.168.0.1", "0.0.0.0-255.255.255.255"]

    store.commit(mutate)
    assert _props(store, 1, 2) == [
        ("RemoteIPRanges", "Added", None, "10.0.0.0/8"),
        ("RemoteIPRanges", "Added", None, "192.168.0.1"),
    ]
    assert _props(store, 2, 1) == [
        ("RemoteIPRanges", "Removed", "10.0.0.0/8", None),
        ("RemoteIPRanges", "Removed", "192.168.0.1", None),
    ]


def test_list_of_tables_diff_names_the_changed_entries(store: FileStore) -> None:
    ace_a = {"User": "NT AUTHORITY\\ANONYMOUS LOGON", "Right": "ms-Exch-SMTP-Submit"}
    ace_b = {"User": "NT AUTHORITY\\ANONYMOUS LOGON", "Right": "ms-Exch-SMTP-Accept-Any-Recipient"}
    store.commit(lambda d: d.get(RC, DEFAULT).update(Aces=[ace_a]))
    store.commit(lambda d: d.get(RC, DEFAULT).update(Aces=[ace_a, ace_b]))
    assert _props(store, 2, 3) == [("Aces", "Added", None, ace_b)]


def test_reordered_list_is_one_changed_property(store: FileStore) -> None:
    store.commit(lambda d: d.get(RC, DEFAULT).update(Bindings=["0.0.0.0:25", "[::]:25"]))
    store.commit(lambda d: d.get(RC, DEFAULT).update(Bindings=["[::]:25", "0.0.0.0:25"]))
    assert _props(store, 2, 3) == [
        ("Bindings", "Changed", ["0.0.0.0:25", "[::]:25"], ["[::]:25", "0.0.0.0:25"])
    ]


def test_duplicate_elements_count_as_a_multiset(store: FileStore) -> None:
    store.commit(lambda d: d.get(RC, DEFAULT).update(L=[1, 1, 2]))
    store.commit(lambda d: d.get(RC, DEFAULT).update(L=[1, 2]))
    assert _props(store, 2, 3) == [("L", "Removed", 1, None)]


def test_scalar_added_removed_and_changed_properties(store: FileStore) -> None:
    store.commit(lambda d: d.get(RC, DEFAULT).update(MaxMessageSize="36 MB", Enabled=True))

    def mutate(doc):  # type: ignore[no-untyped-def]
        rec = doc.get(RC, DEFAULT)
        del rec["MaxMessageSize"]
        rec["Enabled"] = False
        rec["Banner"] = "220 hello"

    store.commit(mutate)
    assert _props(store, 2, 3) == [
        ("MaxMessageSize", "Removed", "36 MB", None),
        ("Enabled", "Changed", True, False),
        ("Banner", "Added", None, "220 hello"),
    ]


def test_added_and_removed_objects_are_object_level_changes(store: FileStore) -> None:
    store.commit(lambda d: d.put(RC, "k2", {"Name": "Relay", "Identity": "EX01\\Relay"}))
    store.commit(lambda d: d.delete(RC, DEFAULT))
    assert [(c.key, c.change, c.name, c.identity) for c in store.diff(1, 3)] == [
        ("k2", "Added", "Relay", "EX01\\Relay"),
        (DEFAULT, "Removed", "Default EX01", "EX01\\Default EX01"),
    ]
    assert store.diff(3, 3) == []
