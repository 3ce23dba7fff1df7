"""Exchange value types as EMS shows them: every member, Get-Member, ToString(), comparisons, sorting and
CSV/JSON round trips, through a real Session over a real store (tls-auth.md §6)."""

from __future__ import annotations

import json

import pytest

from tests.cmdlets.exchange_harness import Shell

RANGES = "10.0.0.0/24,192.168.1.5,10.1.0.1-10.1.0.9,2001:db8::/32"


@pytest.fixture
def sh(tmp_path):
    shell = Shell(tmp_path)
    shell.ok(
        f"New-ReceiveConnector -Name Relay -Usage Custom -Bindings 0.0.0.0:2525 -RemoteIPRanges {RANGES} "
        "-MaxMessageSize 36MB -ConnectionTimeout 00:12:30 | Out-Null"
    )
    shell.ok("$rc = Get-ReceiveConnector Relay; $r = $rc.RemoteIPRanges")
    return shell


def members(sh: Shell, expr: str) -> dict[str, tuple[str, str]]:
    """Get-Member of expr as {name: (MemberType, Definition)}."""
    lines = sh.values(f"{expr} | Get-Member | ForEach-Object {{ $_.Name + '|' + $_.MemberType + '|' + $_.Definition }}")
    return {n: (t, d) for n, t, d in (line.split("|", 2) for line in lines)}


# --------------------------------------------------------------------------- IPRange


def test_ip_range_properties_for_each_format(sh):
    rows = sh.values(
        "$r | ForEach-Object { '{0}|{1}|{2}|{3}|{4}|{5}|{6}' -f $_.Expression, $_.LowerBound, $_.UpperBound, "
        "$_.Netmask, $_.CIDRLength, $_.RangeFormat, $_.Size }"
    )
    assert rows == [
        "10.0.0.0/24|10.0.0.0|10.0.0.255|255.255.255.0|24|CIDR|256",
        "192.168.1.5|192.168.1.5|192.168.1.5||32|SingleAddress|1",
        "10.1.0.1-10.1.0.9|10.1.0.1|10.1.0.9||0|LoHi|9",
        "2001:db8::/32|2001:db8::|2001:db8:ffff:ffff:ffff:ffff:ffff:ffff|ffff:ffff::|32|CIDR|" + str(2**96),
    ]


def test_ip_range_get_member_lists_the_ems_members(sh):
    got = members(sh, "$r[0]")
    for name, type_name in [("LowerBound", "System.Net.IPAddress"), ("UpperBound", "System.Net.IPAddress"),
                            ("Netmask", "System.Net.IPAddress"), ("CIDRLength", "short"),
                            ("RangeFormat", "Microsoft.Exchange.Data.IPRange+Format"), ("Size", "decimal"),
                            ("Expression", "string")]:
        assert got[name] == ("Property", f"{type_name} {name} {{get;}}")
    for name in ("ToString", "Equals", "CompareTo", "Contains", "GetType", "GetHashCode"):
        assert got[name][0] == "Method"
    assert sh.values("$r[0].GetType().FullName") == ["Microsoft.Exchange.Data.IPRange"]
    assert sh.values("($r[0] | Get-Member)[0].TypeName") == ["Microsoft.Exchange.Data.IPRange"]


def test_ip_range_where_object_filters_as_runbooks_do(sh):
    assert sh.values('$r | Where-Object { $_.RangeFormat -eq "CIDR" } | ForEach-Object Expression') == [
        "10.0.0.0/24", "2001:db8::/32"]
    assert sh.values('$r | Where-Object { $_.Expression -like "10.1.*" } | ForEach-Object { "$_" }') == [
        "10.1.0.1-10.1.0.9"]
    assert sh.values("$r | Where-Object { $_.Expression -notmatch ':' } | Measure-Object | % Count") == ["3"]
    assert sh.values("$r[0].LowerBound.ToString(); $r[0].LowerBound.AddressFamily") == ["10.0.0.0", "InterNetwork"]


def test_contains_converts_the_string_through_ip_range_parse(sh):
    assert sh.values('$r -contains "192.168.1.5"; $r -contains "192.168.1.5/32"; $r -contains "10.0.0.0/24"') == [
        "True", "True", "True"]
    assert sh.values('$r -contains "192.168.1.6"; "10.0.0.0/24" -in $r; $r[0] -eq "10.0.0.1"') == [
        "False", "True", "False"]
    assert sh.values('$r[0].Contains("10.0.0.77"); $r[0].Contains("10.0.1.1")') == ["True", "False"]


def test_ip_ranges_sort_by_address_not_text(sh):
    sh.ok("Set-ReceiveConnector Relay -RemoteIPRanges 9.0.0.1,10.0.0.0/24,100.0.0.1 -Confirm:$false")
    assert sh.values("(Get-ReceiveConnector Relay).RemoteIPRanges | Sort-Object | % { \"$_\" }") == [
        "9.0.0.1", "10.0.0.0/24", "100.0.0.1"]


def test_ip_range_properties_are_read_only(sh):
    r = sh.run('$r[0].Expression = "1.2.3.4"')
    assert not r.success and "'Expression' is a ReadOnly property." in r.errors


def test_ip_range_cast_and_is(sh):
    assert sh.values('([Microsoft.Exchange.Data.IPRange]"10.0.0.1/24").Expression; $r[0] -is [Microsoft.Exchange.Data.IPRange]') == [
        "10.0.0.0/24", "True"]


# --------------------------------------------------------------------------- IPBinding


def test_ip_binding_members(sh):
    assert sh.values("$b = $rc.Bindings[0]; $b.Address.ToString(); $b.Port; $b.AddressFamily; \"$b\"") == [
        "0.0.0.0", "2525", "InterNetwork", "0.0.0.0:2525"]
    got = members(sh, "$rc.Bindings[0]")
    assert got["Port"] == ("Property", "int Port {get;}")
    assert got["Address"] == ("Property", "System.Net.IPAddress Address {get;}")
    assert sh.values('$rc.Bindings -contains "0.0.0.0:2525"') == ["True"]


# --------------------------------------------------------------------------- ByteQuantifiedSize / Unlimited


def test_byte_quantified_size_conversions(sh):
    assert sh.values("$s = $rc.MaxMessageSize; $s.ToBytes(); $s.ToKB(); $s.ToMB(); $s.ToGB(); $s.ToTB(); \"$s\"") == [
        str(36 << 20), str(36 << 10), "36", "0", "0", "36 MB (37,748,736 bytes)"]
    assert sh.values("$rc.MaxMessageSize.RoundUpToUnit('GB')") == ["1"]
    got = members(sh, "$rc.MaxMessageSize")
    for name in ("ToBytes", "ToKB", "ToMB", "ToGB", "ToTB"):
        assert got[name] == ("Method", f"System.UInt64 {name}()")


def test_size_comparisons_and_sorting(sh):
    assert sh.values('$rc.MaxMessageSize -gt "10MB"; $rc.MaxMessageSize -eq "36MB"; $rc.MaxMessageSize -lt 1KB') == [
        "True", "True", "False"]
    assert sh.values("Get-ReceiveConnector | Sort-Object MaxMessageSize -Descending | Select-Object -First 1 | % Name") == [
        "Relay"]


def test_unlimited_members(sh):
    assert sh.values("$rc.MessageRateLimit.IsUnlimited; \"$($rc.MessageRateLimit)\"") == ["True", "Unlimited"]
    sh.ok("Set-ReceiveConnector Relay -MessageRateLimit 100")
    assert sh.values("$m = (Get-ReceiveConnector Relay).MessageRateLimit; $m.IsUnlimited; $m.Value; $m -lt 'unlimited'") == [
        "False", "100", "True"]
    got = members(sh, "$rc.MessageRateLimit")
    assert got["IsUnlimited"] == ("Property", "bool IsUnlimited {get;}")
    assert "Value" in got


def test_value_of_an_unlimited_is_an_error_not_a_crash(sh):
    r = sh.run("$rc.MessageRateLimit.Value")
    assert not r.success
    assert 'Exception getting "Value"' in r.errors and "internal error" not in r.errors


# --------------------------------------------------------------------------- EnhancedTimeSpan


def test_enhanced_time_span_members(sh):
    assert sh.values(
        "$t = $rc.ConnectionTimeout; $t.Days; $t.Hours; $t.Minutes; $t.Seconds; $t.TotalMinutes; $t.TotalSeconds; "
        "$t.TotalHours; $t.TotalMilliseconds; \"$t\""
    ) == ["0", "0", "12", "30", "12.5", "750", "0.20833333333333334", "750000", "00:12:30"]
    assert sh.values("$rc.ConnectionTimeout -gt '00:10:00'; $rc.ConnectionTimeout.Add('00:00:30').ToString()") == [
        "True", "00:13:00"]
    got = members(sh, "$rc.ConnectionTimeout")
    assert got["TotalMinutes"] == ("Property", "double TotalMinutes {get;}")
    assert sh.values("$rc.ConnectionTimeout.GetType().FullName") == ["Microsoft.Exchange.Data.EnhancedTimeSpan"]


# --------------------------------------------------------------------------- flag enums, SMTP values


def test_flag_enum_members(sh):
    sh.ok("Set-ReceiveConnector Relay -AuthMechanism Tls,ExternalAuthoritative -PermissionGroups ExchangeServers -Confirm:$false")
    assert sh.values("$a = (Get-ReceiveConnector Relay).AuthMechanism; $a.HasFlag('Tls'); $a.HasFlag('BasicAuth'); \"$a\"") == [
        "True", "False", "Tls, ExternalAuthoritative"]
    assert sh.values("(Get-ReceiveConnector Relay).AuthMechanism.GetType().FullName") == [
        "Microsoft.Exchange.Data.Directory.SystemConfiguration.AuthMechanisms"]


def test_smtp_address_and_domain_members(sh):
    sh.ok('New-AcceptedDomain -Name Contoso -DomainName "*.contoso.com" | Out-Null')
    assert sh.values("$d = (Get-AcceptedDomain Contoso).DomainName; $d.Domain; $d.IncludeSubDomains; \"$d\"") == [
        "contoso.com", "True", "*.contoso.com"]
    sh.ok('New-Mailbox -Name al -PrimarySmtpAddress al@contoso.com -Password (ConvertTo-SecureString "P@ssw0rd123!" '
          "-AsPlainText -Force) | Out-Null")
    assert sh.values("$p = (Get-Mailbox al).PrimarySmtpAddress; $p.Local; $p.Domain; $p.Length; $p.IsValidAddress; "
                     "$p -eq 'AL@contoso.com'") == ["al", "contoso.com", "14", "True", "True"]


# --------------------------------------------------------------------------- CSV / JSON round trips


def test_csv_round_trip_feeds_set_receive_connector(sh, tmp_path):
    path = tmp_path / "ranges.csv"
    sh.ok(f"$r | Select-Object Expression, RangeFormat | Export-Csv -NoTypeInformation '{path}'")
    assert sh.values(f"Import-Csv '{path}' | % {{ $_.RangeFormat }}") == ["CIDR", "SingleAddress", "LoHi", "CIDR"]
    sh.ok(f"Set-ReceiveConnector Relay -RemoteIPRanges (Import-Csv '{path}').Expression -Confirm:$false")
    assert sh.values("(Get-ReceiveConnector Relay).RemoteIPRanges | % Expression") == RANGES.split(",")


def test_json_writes_display_forms_that_parse_back(sh):
    text = "".join(sh.values("$rc | Select-Object MaxMessageSize, ConnectionTimeout, RemoteIPRanges | ConvertTo-Json -Compress"))
    data = json.loads(text)
    assert data == {"MaxMessageSize": "36 MB (37,748,736 bytes)", "ConnectionTimeout": "00:12:30",
                    "RemoteIPRanges": RANGES.split(",")}
    sh.ok(f"$j = '{text}' | ConvertFrom-Json; Set-ReceiveConnector Relay -MaxMessageSize $j.MaxMessageSize "
          "-ConnectionTimeout $j.ConnectionTimeout -RemoteIPRanges $j.RemoteIPRanges -Confirm:$false")
    assert sh.values("$x = Get-ReceiveConnector Relay; $x.MaxMessageSize.ToBytes(); $x.ConnectionTimeout.TotalSeconds") == [
        str(36 << 20), "750"]


def test_static_factories(sh):
    assert sh.values("[Microsoft.Exchange.Data.ByteQuantifiedSize]::FromMB(10).ToBytes(); "
                     "[Microsoft.Exchange.Data.IPRange]::Parse('10.0.0.1/24').Expression; "
                     "[Microsoft.Exchange.Data.EnhancedTimeSpan]::FromMinutes(90).TotalHours") == [
        str(10 << 20), "10.0.0.0/24", "1.5"]
    r = sh.run("[Microsoft.Exchange.Data.IPRange]::Parse('bad')")
    assert not r.success and 'Exception calling "Parse" with "1" argument(s)' in r.errors


def test_identity_is_an_object_identity(sh):
    assert sh.values("$rc.Identity.Name; $rc.Identity.Parent; \"$($rc.Identity)\"; $rc.Identity -eq 'ex01\\relay'; "
                     "$rc.Identity.GetType().FullName") == [
        "Relay", "EX01", "EX01\\Relay", "True", "Microsoft.Exchange.Data.Directory.ADObjectId"]
    assert sh.values("Get-ReceiveConnector | Sort-Object Identity -Descending | ForEach-Object Identity") == [
        "EX01\\Relay", "EX01\\Default EX01", "EX01\\Client EX01"]
    sh.ok("Set-ReceiveConnector -Identity $rc.Identity -Comment piped")
    assert sh.values("(Get-ReceiveConnector Relay).Comment") == ["piped"]
