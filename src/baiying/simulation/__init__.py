"""The digital twin: a discrete-event simulator driving the same router."""
