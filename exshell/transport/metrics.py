"""The engine's counters, in the Prometheus text exposition format (`exshell serve --metrics HOST:PORT`).

A small in-process registry instead of prometheus_client: the engine needs counters, gauges and histograms with
labels, rendered as text, and nothing else (no multiprocess mode, no push gateway). Updating a metric is one
dict operation on the event loop's thread, cheap enough for the per-message hot path.

Any part of the engine counts through the module-level metrics below, e.g.

    from exshell.transport import metrics
    metrics.TLS_HANDSHAKES.inc(connector=c.identity, result="ok")

Label values are free text (connector identities hold a backslash and spaces); rendering escapes them.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

# Delivery latency (arrival -> acknowledged by the next hop or the mailbox), seconds.
LATENCY_BUCKETS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: Sequence[str], values: Sequence[str], extra: str = "") -> str:
    parts = [f'{n}="{_escape(v)}"' for n, v in zip(names, values)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _number(v: float) -> str:
    if v == math.inf:
        return "+Inf"
    return str(int(v)) if float(v).is_integer() else repr(float(v))


class Metric:
    kind = "untyped"

    def __init__(self, name: str, help: str, labels: Sequence[str] = ()) -> None:
        self.name = name
        self.help = help
        self.labelnames = tuple(labels)
        self._lock = threading.Lock()  # delivery bookkeeping may run in worker threads

    def _key(self, labels: dict[str, str]) -> tuple[str, ...]:
        if set(labels) != set(self.labelnames):
            raise ValueError(f"{self.name} takes the labels {', '.join(self.labelnames) or 'none'}")
        return tuple(str(labels[n]) for n in self.labelnames)

    def samples(self) -> Iterable[tuple[str, str, float]]:  # (suffix, label text, value)
        return ()

    def render(self) -> str:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]
        lines += [f"{self.name}{suffix}{labels} {_number(v)}" for suffix, labels, v in self.samples()]
        return "\n".join(lines) + "\n"


class Counter(Metric):
    kind = "counter"

    def __init__(self, name: str, help: str, labels: Sequence[str] = ()) -> None:
        super().__init__(name, help, labels)
        self._values: dict[tuple[str, ...], float] = {}

    def inc(self, amount: float = 1, **labels: str) -> None:
        self.add_key(self._key(labels), amount)

    def labels(self, **labels: str) -> "BoundCounter":
        """This counter for fixed label values, checked once: the hot path's `inc` then skips the check (a
        session binds its connector's counters once per configuration version)."""
        return BoundCounter(self, self._key(labels))

    def add_key(self, key: tuple[str, ...], amount: float) -> None:
        with self._lock:
            self._values[key] = self._values.get(key, 0) + amount

    def value(self, **labels: str) -> float:
        return self._values.get(self._key(labels), 0)

    def samples(self) -> Iterable[tuple[str, str, float]]:
        with self._lock:
            items = sorted(self._values.items())
        return [("", _labels(self.labelnames, k), v) for k, v in items]


class BoundCounter:
    """A Counter with its label values fixed (Counter.labels)."""

    __slots__ = ("counter", "key")

    def __init__(self, counter: Counter, key: tuple[str, ...]) -> None:
        self.counter = counter
        self.key = key

    def inc(self, amount: float = 1) -> None:
        self.counter.add_key(self.key, amount)


class Gauge(Metric):
    """A value set by its owner, or computed at scrape time by `set_function` (e.g. queue depth)."""

    kind = "gauge"

    def __init__(self, name: str, help: str, labels: Sequence[str] = ()) -> None:
        super().__init__(name, help, labels)
        self._values: dict[tuple[str, ...], float] = {}
        self._function: Callable[[], dict[tuple[str, ...], float]] | None = None

    def set(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = value

    def set_function(self, function: Callable[[], dict[tuple[str, ...], float]] | None) -> None:
        """function() -> {label values: value}, called at each scrape; replaces the set values."""
        self._function = function

    def value(self, **labels: str) -> float:
        return dict(self._items()).get(self._key(labels), 0)

    def _items(self) -> list[tuple[tuple[str, ...], float]]:
        if self._function is not None:
            try:
                return sorted(self._function().items())
            except Exception:  # noqa: BLE001 - a scrape never fails on one gauge
                return []
        with self._lock:
            return sorted(self._values.items())

    def samples(self) -> Iterable[tuple[str, str, float]]:
        return [("", _labels(self.labelnames, k), v) for k, v in self._items()]


class Histogram(Metric):
    kind = "histogram"

    def __init__(self, name: str, help: str, labels: Sequence[str] = (),
                 buckets: Sequence[float] = LATENCY_BUCKETS) -> None:
        super().__init__(name, help, labels)
        self.buckets = tuple(sorted(buckets)) + (math.inf,)
        self._values: dict[tuple[str, ...], tuple[list[int], list[float]]] = {}  # counts per bucket, [sum]

    def observe(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            counts, total = self._values.setdefault(key, ([0] * len(self.buckets), [0.0]))
            for i, bound in enumerate(self.buckets):
                if value <= bound:
                    counts[i] += 1
                    break
            total[0] += value

    def count(self, **labels: str) -> int:
        entry = self._values.get(self._key(labels))
        return sum(entry[0]) if entry else 0

    def samples(self) -> Iterable[tuple[str, str, float]]:
        out: list[tuple[str, str, float]] = []
        with self._lock:
            items = sorted((k, (list(c), t[0])) for k, (c, t) in self._values.items())
        for key, (counts, total) in items:
            running = 0
            for bound, n in zip(self.buckets, counts):
                running += n
                out.append(("_bucket", _labels(self.labelnames, key, f'le="{_number(bound)}"'), running))
            out.append(("_sum", _labels(self.labelnames, key), total))
            out.append(("_count", _labels(self.labelnames, key), running))
        return out


class Registry:
    def __init__(self) -> None:
        self.metrics: dict[str, Metric] = {}

    def add(self, metric: Metric) -> Metric:
        self.metrics[metric.name] = metric
        return metric

    def counter(self, name: str, help: str, labels: Sequence[str] = ()) -> Counter:
        m = Counter(name, help, labels)
        self.add(m)
        return m

    def gauge(self, name: str, help: str, labels: Sequence[str] = ()) -> Gauge:
        m = Gauge(name, help, labels)
        self.add(m)
        return m

    def histogram(self, name: str, help: str, labels: Sequence[str] = (),
                  buckets: Sequence[float] = LATENCY_BUCKETS) -> Histogram:
        m = Histogram(name, help, labels, buckets)
        self.add(m)
        return m

    def render(self) -> str:
        return "".join(m.render() for m in self.metrics.values())


REGISTRY = Registry()

# ---- receive side (transport/session.py)
CONNECTIONS = REGISTRY.counter(
    "exshell_smtp_connections_total", "SMTP connections by receive connector and the reply to the connect "
    "(220 served, 421 refused)", ("connector", "code"))
MESSAGES_ACCEPTED = REGISTRY.counter(
    "exshell_messages_accepted_total", "Messages accepted (250 after DATA, spooled) by receive connector",
    ("connector",))
REFUSED = REGISTRY.counter(
    "exshell_smtp_refused_total", "Policy refusals by receive connector, SMTP step (connect, mail, rcpt, data_end) "
    "and reply code", ("connector", "step", "code"))
# ---- TLS and AUTH (the engine's STARTTLS / AUTH code counts here)
TLS_HANDSHAKES = REGISTRY.counter(
    "exshell_tls_handshakes_total", "STARTTLS handshakes by receive connector and result (ok, failed)",
    ("connector", "result"))
AUTH_ATTEMPTS = REGISTRY.counter(
    "exshell_auth_attempts_total", "SMTP AUTH attempts by receive connector, mechanism and result "
    "(ok, failed)", ("connector", "mechanism", "result"))
# ---- delivery (transport/delivery/service.py)
DELIVERY_ATTEMPTS = REGISTRY.counter(
    "exshell_delivery_attempts_total", "Delivery attempts per recipient by next hop (send connector, "
    "mailbox) and result (delivered, deferred, bounced)", ("next_hop", "result"))
DELIVERY_LATENCY = REGISTRY.histogram(
    "exshell_delivery_latency_seconds", "Seconds from acceptance to delivery, per delivered recipient",
    ("next_hop",))
QUEUE_DEPTH = REGISTRY.gauge(
    "exshell_queue_depth", "Messages waiting per delivery queue (as Get-Queue shows them)", ("queue",))
# ---- configuration (transport/engine.py)
CONFIG_VERSION = REGISTRY.gauge(
    "exshell_config_version", "The configuration version new sessions are served with")
CONFIG_RELOADS = REGISTRY.counter(
    "exshell_config_reloads_total", "Configuration versions taken into use after start (hot reloads)")


def render() -> str:
    return REGISTRY.render()


# ---- the scrape endpoint (`exshell serve --metrics HOST:PORT`)
async def start_http(host: str, port: int, registry: Registry = REGISTRY) -> Any:
    """A minimal HTTP/1.0 responder on the engine's event loop: GET /metrics (or /) returns the text format.
    Bound to the address given; loopback by default in the docs, since the numbers name connectors."""
    import asyncio

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            parts = request.split(b"\r\n", 1)[0].split()
            if len(parts) >= 2 and parts[0] == b"GET" and parts[1].split(b"?")[0] in (b"/metrics", b"/"):
                body = registry.render().encode("utf-8")
                head = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            else:
                body = b"not found; GET /metrics\n"
                head = b"HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n"
            writer.write(head + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)


def parse_address(text: str) -> tuple[str, int]:
    """`127.0.0.1:9425`, `[::1]:9425` or `:9425` (loopback) -> (host, port); ValueError otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"'{text}' is not HOST:PORT")
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)
