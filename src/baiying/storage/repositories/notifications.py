"""Webhook subscriptions as a repository (the outbox itself is `baiying.notifications.outbox`)."""

from baiying.storage.notification_tables import WebhookSubscriptionRow
from baiying.storage.repositories.base import Repository


class WebhookRepository(Repository[WebhookSubscriptionRow]):
    model = WebhookSubscriptionRow
    entity = "webhook subscription"
