"""Notifications: messages to customers (email, SMS) and events to other systems (signed webhooks).

Everything that leaves Baiying goes through one durable outbox (`outbox.Outbox`): a message is a row
before it is a network call, so a crash or restart loses none and a retry never sends one twice for the
same cause. Pure parts (templates, frequency caps, the retry schedule, signatures) are plain functions;
the senders (`smtp`, `sms`, `webhooks`) are the only modules that touch the network.
"""
