"""The SMTP engine (`exshell serve`): receive, decide, stamp, durably queue.

- `policy.py` — the relay decision, one pure function family (`PolicyIndex.build`, `decide`)
- `replies.py` — the reply catalogue; `address.py` — RFC 5321 paths and their real destination domains
- `smtp_core.py` — the SMTP protocol core (asyncio.Protocol: commands, pipelining, STARTTLS, AUTH challenges);
  `session.py` — Exchange's verbs on it; `listeners.py` — one socket per distinct binding
- `engine.py` — store polling, hot reload, graceful stop; `cli.py` — `serve_main(argv)`
- `spool.py` — durable acceptance (fsync before 250); `headers.py` — header firewall and stamps
- `protocol_log.py` — SMTP Receive protocol log (Verbose connectors)

Nothing here is imported by the shell at start-up (the engine's modules load only with `exshell serve` or
Test-RelayPolicy's policy import).
"""
