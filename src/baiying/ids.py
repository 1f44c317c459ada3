"""Typed identifiers shared by every context. Plain strings at run time, distinct types for mypy."""

from typing import NewType

AgentId = NewType("AgentId", str)
ContactId = NewType("ContactId", str)
SiteId = NewType("SiteId", str)
QueueId = NewType("QueueId", str)
TeamId = NewType("TeamId", str)
CustomerId = NewType("CustomerId", str)
PolicyId = NewType("PolicyId", str)
