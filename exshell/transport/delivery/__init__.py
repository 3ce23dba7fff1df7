"""Delivery: the queue, routing, Maildir, smart hosts, retries, NDRs and the message tracking log.

The receiving engine spools accepted messages (`exshell.transport.spool`); `service.DeliveryService`
picks them up, routes every recipient (`router`), keeps per-message state under `<state>/queue/`
(`queue`), delivers (`maildir`, `smtp_client`), bounces (`dsn`) and logs (`tracking`). The shell reads
the queue state and asks the service for actions through request files (`control`).
"""
