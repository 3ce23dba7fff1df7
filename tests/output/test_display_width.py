"""Tables and lists line up by terminal cells, not by len(): wide East Asian characters take two cells,
combining marks none (wcwidth)."""

from __future__ import annotations

from wcwidth import wcswidth

from exshell.output.cells import display_width, truncate, wrap_text
from exshell.output.listing import render_list
from exshell.output.table import TableColumn, render_table


def test_display_width_counts_cells():
    assert display_width("Relay") == 5
    assert display_width("東京") == 4
    assert display_width("e\u0301") == 1  # e + combining acute accent


def test_table_columns_line_up_with_wide_characters():
    lines = render_table([TableColumn("Name"), TableColumn("Comment")],
                         [("東京リレー", "x"), ("Relay", "yy")], 80)
    assert lines == ["Name       Comment", "----       -------", "東京リレー x", "Relay      yy"]
    # every Comment value starts in the same terminal column
    starts = {wcswidth(line[: line.rindex(" ") + 1]) for line in lines[2:]}
    assert starts == {11}


def test_truncation_and_wrapping_respect_cell_width():
    assert truncate("東京東京東京", 7) == "東京東…"
    assert display_width(truncate("東京東京東京", 7)) == 7
    assert truncate("東京東京東京", 7, "right") == "…京東京"
    assert all(display_width(part) <= 5 for part in wrap_text("東京東京東京", 5))


def test_list_labels_pad_by_cells():
    assert render_list([("名前", "東京"), ("b", "1")], 80) == ["名前 : 東京", "b    : 1"]
