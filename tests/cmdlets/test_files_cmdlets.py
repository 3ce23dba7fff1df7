"""Out-File, Get/Set/Add-Content, Import/Export-Csv, ConvertTo/From-Csv and -Json end to end
(output.md §5.8–§5.11, tests.md B6 49, B8 57–58). Every file lives under tmp_path."""

from __future__ import annotations

import pytest

from _output_harness import make_session, run


def out(tmp_path, text, width=120):
    output, errors = run(tmp_path, text, width)
    assert errors == [], errors
    return output


def test_out_file_writes_console_text_utf8_without_bom(tmp_path):
    f = tmp_path / "o.txt"
    assert out(tmp_path, f"[pscustomobject]@{{a='é';b=1}} | Out-File '{f}'") == ""
    data = f.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8") == "\na b\n- -\né 1\n\n"


def test_out_file_append_width_and_noclobber(tmp_path):
    f = tmp_path / "o.txt"
    out(tmp_path, f"'one' | Out-File '{f}'; 'two' | Out-File '{f}' -Append")
    assert f.read_text() == "one\ntwo\n"
    out(tmp_path, f"[pscustomobject]@{{a='x'*30}} | Out-File '{f}' -Width 10")
    assert f.read_text().split("\n")[3] == "xxxxxxxxx…"
    _, errors = run(tmp_path, f"'three' | Out-File '{f}' -NoClobber")
    assert f"The file '{f}' already exists." in errors[0]


def test_out_file_unicode_encoding_writes_bom(tmp_path):
    f = tmp_path / "u.txt"
    out(tmp_path, f"'hi' | Out-File '{f}' -Encoding unicode")
    assert f.read_bytes() == b"\xff\xfe" + "hi\n".encode("utf-16-le")


def test_set_add_get_content_round_trip(tmp_path):
    f = tmp_path / "c.txt"
    text = f"Set-Content '{f}' 'a','b'; Add-Content '{f}' 'c'; Get-Content '{f}'"
    assert out(tmp_path, text) == "a\nb\nc\n"
    assert f.read_text() == "a\nb\nc\n"
    assert out(tmp_path, f"(Get-Content '{f}' -Raw) -eq \"a`nb`nc`n\"") == "True\n"
    assert out(tmp_path, f"Get-Content '{f}' -TotalCount 2") == "a\nb\n"
    assert out(tmp_path, f"Get-Content '{f}' -Tail 1") == "c\n"
    assert out(tmp_path, f"'x','y' | Set-Content '{f}'; gc '{f}'") == "x\ny\n"


def test_get_content_missing_file_is_non_terminating(tmp_path):
    missing = tmp_path / "nope.txt"
    output, errors = run(tmp_path, f"Get-Content '{missing}'; 'after'")
    assert output == "after\n"
    assert f"Cannot find path '{missing}' because it does not exist." in errors[0]
    assert "PathNotFound,Microsoft.PowerShell.Commands.GetContentCommand" in errors[0]


def test_get_content_wildcard_path(tmp_path):
    (tmp_path / "a1.log").write_text("one\n")
    (tmp_path / "a2.log").write_text("two\n")
    assert out(tmp_path, f"Get-Content '{tmp_path}/a*.log'") == "one\ntwo\n"


# --------------------------------------------------------------------------- CSV


def test_convertto_csv_ps7_quotes_and_no_type_line(tmp_path):
    # tests.md 57
    text = "[pscustomobject]@{first='Double quote \" in the middle.'} | ConvertTo-Csv"
    assert out(tmp_path, text) == '"first"\n"Double quote "" in the middle."\n'
    text = "[pscustomobject]@{a=1,2} | ConvertTo-Csv -NoTypeInformation"
    assert out(tmp_path, text) == '"a"\n"System.Object[]"\n'
    text = "[pscustomobject]@{a=1} | ConvertTo-Csv -IncludeTypeInformation"
    assert out(tmp_path, text) == '#TYPE System.Management.Automation.PSCustomObject\n"a"\n"1"\n'


def test_convertto_csv_use_quotes_and_delimiter(tmp_path):
    text = "[pscustomobject]@{a='x;y';b='z'} | ConvertTo-Csv -UseQuotes AsNeeded -Delimiter ';'"
    assert out(tmp_path, text) == 'a;b\n"x;y";z\n'
    text = "[pscustomobject]@{a='x';b='z'} | ConvertTo-Csv -UseQuotes Never"
    assert out(tmp_path, text) == "a,b\nx,z\n"


def test_export_import_csv_round_trip(tmp_path):
    f = tmp_path / "r.csv"
    session, host = make_session(tmp_path)
    session.run(
        "[pscustomobject]@{Name='Relay, 1';Port=25;Note='say \"hi\"'},"
        f"[pscustomobject]@{{Name='B';Port=587;Note=$null}} | Export-Csv '{f}'; "
        f"$rows = Import-Csv '{f}'"
    )
    assert host.errors == []
    assert f.read_text() == '"Name","Port","Note"\n"Relay, 1","25","say ""hi"""\n"B","587",\n'
    rows = session.get_variable("rows")
    assert [r.items() for r in rows] == [
        [("Name", "Relay, 1"), ("Port", "25"), ("Note", 'say "hi"')],
        [("Name", "B"), ("Port", "587"), ("Note", "")],
    ]
    assert rows[0].type_names[0] == "System.Management.Automation.PSCustomObject"


def test_export_csv_append_uses_existing_columns(tmp_path):
    f = tmp_path / "a.csv"
    out(tmp_path, f"[pscustomobject]@{{a=1;b=2}} | Export-Csv '{f}'; [pscustomobject]@{{b=3;a=4;c=5}} | Export-Csv '{f}' -Append")
    assert f.read_text() == '"a","b"\n"1","2"\n"4","3"\n'


def test_export_csv_hashtable_uses_keys(tmp_path):
    f = tmp_path / "h.csv"
    out(tmp_path, f"[ordered]@{{k1='v1';k2='v2'}} | Export-Csv '{f}'")
    assert f.read_text() == '"k1","k2"\n"v1","v2"\n'


def test_import_csv_missing_values_null_empty_field_empty_string(tmp_path):
    # tests.md 49
    f = tmp_path / "m.csv"
    f.write_text("a,b,c\n1,,\n2\n")
    text = (
        f"$r = Import-Csv '{f}'; $r[0].b -eq ''; $null -eq $r[1].b; $r[0].a.GetType().FullName; $r.Count"
    )
    assert out(tmp_path, text) == "True\nTrue\nSystem.String\n2\n"


def test_import_csv_header_and_delimiter_parameters(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("1;2\n3;4\n")
    assert out(tmp_path, f"Import-Csv '{f}' -Delimiter ';' -Header x,y | % {{ $_.x + $_.y }}") == "12\n34\n"


def test_import_csv_missing_header_warns_and_duplicate_header_fails(tmp_path):
    f = tmp_path / "w.csv"
    f.write_text("a,\n1,2\n")
    output, _ = run(tmp_path, f"(Import-Csv '{f}').H1")
    assert 'WARNING: One or more headers were not specified. Default names starting with "H" have been used' in output
    assert output.endswith("2\n")
    f.write_text("Name,name\n1,2\n")
    _, errors = run(tmp_path, f"Import-Csv '{f}'")
    assert 'The member "name" is already present.' in errors[0]


def test_convertfrom_csv_from_pipeline_strings(tmp_path):
    assert out(tmp_path, "'a,b','1,2','3' | ConvertFrom-Csv | % { \"$($_.a)-$($_.b)\" }") == "1-2\n3-\n"


# --------------------------------------------------------------------------- JSON


@pytest.mark.parametrize(
    "text, expected",
    [
        # tests.md 58
        ("[pscustomobject]@{Name='Relay'} | ConvertTo-Json", '{\n  "Name": "Relay"\n}\n'),
        (",@(1,2,3) | ConvertTo-Json -Compress", "[1,2,3]\n"),
        ("1,2 | ConvertTo-Json -Compress", "[1,2]\n"),
        ("1 | ConvertTo-Json -AsArray -Compress", "[1]\n"),
        ("$null | ConvertTo-Json", "null\n"),
        ("'a\"b' | ConvertTo-Json", '"a\\"b"\n'),
        ("[ordered]@{a=1;b=$true;c=$null;d=1.5} | ConvertTo-Json -Compress", '{"a":1,"b":true,"c":null,"d":1.5}\n'),
        (
            "[pscustomobject]@{Name='Relay';Ports=25,587} | ConvertTo-Json",
            '{\n  "Name": "Relay",\n  "Ports": [\n    25,\n    587\n  ]\n}\n',
        ),
    ],
)
def test_convertto_json_layout(tmp_path, text, expected):
    assert out(tmp_path, text) == expected


def test_convertto_json_depth_truncation_warns(tmp_path):
    output, _ = run(tmp_path, "@{a=@{b=@{c=@{d=1}}}} | ConvertTo-Json")
    assert output == (
        "WARNING: Resulting JSON is truncated as serialization has exceeded the set depth of 2.\n"
        '{\n  "a": {\n    "b": {\n      "c": "System.Collections.Hashtable"\n    }\n  }\n}\n'
    )
    assert out(tmp_path, "@{a=@{b=@{c=@{d=1}}}} | ConvertTo-Json -Depth 5 -Compress") == '{"a":{"b":{"c":{"d":1}}}}\n'


def test_convertfrom_json_objects_and_arrays(tmp_path):
    text = "$o = '{\"b\":1,\"a\":[1,2],\"n\":{\"x\":\"y\"}}' | ConvertFrom-Json; $o.a.Count; $o.n.x; $o | ConvertTo-Json -Compress"
    # properties keep document order (b before a)
    assert out(tmp_path, text) == '2\ny\n{"b":1,"a":[1,2],"n":{"x":"y"}}\n'
    assert out(tmp_path, "'[1,2,3]' | ConvertFrom-Json | % { $_ * 2 }") == "2\n4\n6\n"
    assert out(tmp_path, "('{\"a\":1}' | ConvertFrom-Json -AsHashtable)['a']") == "1\n"


def test_convertfrom_json_invalid_text_is_terminating(tmp_path):
    output, errors = run(tmp_path, "'{bad' | ConvertFrom-Json; 'next'")
    assert output == "next\n"
    assert "Conversion from JSON failed with error:" in errors[0]


def test_json_round_trip_through_file(tmp_path):
    f = tmp_path / "c.json"
    text = (
        f"[pscustomobject]@{{Name='R';Ports=25,587}} | ConvertTo-Json | Set-Content '{f}'; "
        f"$o = Get-Content '{f}' -Raw | ConvertFrom-Json; $o.Name; $o.Ports -join '+'"
    )
    assert out(tmp_path, text) == "R\n25+587\n"


def test_export_csv_append_after_type_line_keeps_columns(tmp_path):
    f = tmp_path / "t.csv"
    out(tmp_path, f"[pscustomobject]@{{a=1}} | Export-Csv '{f}' -IncludeTypeInformation; "
                  f"[pscustomobject]@{{a=2}} | Export-Csv '{f}' -Append")
    assert f.read_text() == '#TYPE System.Management.Automation.PSCustomObject\n"a"\n"1"\n"2"\n'
