"""Delivery: the queue, routing, Maildir, smart hosts, retries, NDRs and the message tracking log.

The receiving engine spools accepted messages (`exshell.transport.spool`); `service.DeliveryService` picks them
up (`pickup`), routes every recipient (`router`, `bifurcation`), keeps per-message state in the `ledger` (files
under `<state>/queue/`, `queue`), attempts delivery (`mailbox_delivery`, `smtp_delivery` over `smtp_client` and
`mx`) with typed `outcome`s, retries on the `retry_policy`, bounces (`bounces`, `dsn`) and logs (`tracker`,
`tracking`). The shell reads the queue (`queue_view.read_snapshot`) and asks the service for actions through
request files (`control`, executed by `actions`). docs/internals.md has the stages and their contracts.
"""
