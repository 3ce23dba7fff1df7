"""`exshell status`: the running engine's metrics, scraped and summed up for a person."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

_SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

Samples = list[tuple[str, dict[str, str], float]]


def read_serve_info(state: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((state / "serve.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def scrape(target: str, timeout: float = 5.0) -> str:
    url = target if "://" in target else f"http://{target}/metrics"
    with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - an http URL the admin gave
        return str(r.read().decode("utf-8"))


def _unescape(v: str) -> str:
    return v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def parse(text: str) -> Samples:
    out: Samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if m is None:
            continue
        labels = {k: _unescape(v) for k, v in _LABEL.findall(m["labels"] or "")}
        value = float("inf") if m["value"] == "+Inf" else float(m["value"])
        out.append((m["name"], labels, value))
    return out


def _sum(samples: Samples, name: str, by: str | None = None) -> dict[str, float]:
    out: dict[str, float] = {}
    for n, labels, v in samples:
        if n == name:
            key = labels.get(by, "") if by else ""
            out[key] = out.get(key, 0) + v
    return out


def summary(samples: Samples, info: dict[str, Any] | None) -> str:
    lines = []
    if info:
        lines.append(f"exshell serve: pid {info.get('pid')}, metrics {info.get('metrics')}")
    version = _sum(samples, "exshell_config_version").get("", 0)
    reloads = _sum(samples, "exshell_config_reloads_total").get("", 0)
    lines.append(f"configuration version {int(version)} ({int(reloads)} reload(s) since start)")
    accepted = _sum(samples, "exshell_messages_accepted_total", "connector")
    lines.append(f"messages accepted: {int(sum(accepted.values()))}")
    lines += [f"  {k}: {int(v)}" for k, v in sorted(accepted.items())]
    refused = _sum(samples, "exshell_smtp_refused_total", "code")
    refused_connect = {k: v for k, v in _sum(samples, "exshell_smtp_connections_total", "code").items()
                       if k != "220"}
    for code, v in refused_connect.items():
        refused[code] = refused.get(code, 0) + v
    lines.append(f"refused: {int(sum(refused.values()))}"
                 + ("" if not refused else " (" + ", ".join(f"{k}: {int(v)}" for k, v in sorted(refused.items())) + ")"))
    depth = _sum(samples, "exshell_queue_depth", "queue")
    lines.append(f"queued: {int(sum(depth.values()))}"
                 + ("" if not depth else " (" + ", ".join(f"{k or '-'}: {int(v)}" for k, v in sorted(depth.items())) + ")"))
    attempts = _sum(samples, "exshell_delivery_attempts_total", "result")
    lines.append("deliveries: " + (", ".join(f"{k} {int(v)}" for k, v in sorted(attempts.items())) or "none"))
    tls = _sum(samples, "exshell_tls_handshakes_total", "result")
    auth = _sum(samples, "exshell_auth_attempts_total", "result")
    if tls or auth:
        lines.append("TLS handshakes: " + (", ".join(f"{k} {int(v)}" for k, v in sorted(tls.items())) or "none")
                     + "; AUTH: " + (", ".join(f"{k} {int(v)}" for k, v in sorted(auth.items())) or "none"))
    return "\n".join(lines)
