"""Application services: the use cases that drive the pure core and keep the database in step with it.

`center.LiveCenter` runs the live router (one per tenant) with every change journaled and committed before
it is published on `bus.EventBus`; `stats.LiveStats` keeps real-time statistics from those events. Imports
the core and `baiying.storage`, never a web framework or a CLI.
"""
