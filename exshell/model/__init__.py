"""The Exchange domain as plain frozen dataclasses: IP ranges, bindings, sizes, time spans, flag enums, the
permission-group table, ACEs, receive connectors, accepted domains, servers and the whole Config.

No I/O and no heavy imports: the shell and the engine both import this on start-up.
"""
