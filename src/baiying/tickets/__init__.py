"""Tickets and work orders (issue 5): the pure core.

Ticket types and priorities (`model`), workflows loaded from YAML with line-precise errors (`workflow`,
`spec`), business-hours calendars (`calendar`), SLA policies and event-based SLA clocks (`sla`), and
automation rules (`rules`). Nothing here does I/O or reads the wall clock: callers pass YAML text and the
current time (a `baiying.clock.Timestamp`); the core returns the changes and the actions an adapter carries
out (assign, notify, escalate, create a follow-up, schedule a callback, offer an answer to the knowledge
base).
"""
