"""Traffic and bot agents for the demo: an adapter that drives a live server through its HTTP API, as a
channel and as people would. `TrafficGenerator` plays a scenario's arrival profile (real time or
accelerated ×N); `BotAgent` logs in, takes offers and completes them with the scenario's handle times."""

from baiying.traffic.arrivals import Arrival, arrivals, contact_body
from baiying.traffic.bots import BotAgent, BotReport, run_bots
from baiying.traffic.generator import TrafficGenerator, TrafficReport

__all__ = [
    "Arrival",
    "BotAgent",
    "BotReport",
    "TrafficGenerator",
    "TrafficReport",
    "arrivals",
    "contact_body",
    "run_bots",
]
