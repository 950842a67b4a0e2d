"""The routing layer: ``/api/v1/<resource>`` forwarded to the owning service, behind a circuit breaker
per service and per-replica limits on writes."""
