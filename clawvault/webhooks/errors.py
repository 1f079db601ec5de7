from __future__ import annotations

from clawvault.core.errors import ApiError


class InvalidWebhookUrl(ApiError):
    message = "url must be an http or https URL"


class InvalidEventTypes(ApiError):
    message = (
        "events must be a list of: pull.fulfilled, buyback.completed, shipment.status_changed, "
        "buyback.expiring"
    )


class EndpointNotFound(ApiError):
    status_code = 404
    message = "Webhook endpoint not found"


class DeliveryNotFound(ApiError):
    status_code = 404
    message = "Webhook delivery not found"


class InvalidSandboxFlag(ApiError):
    message = "sandbox must be true or false"
