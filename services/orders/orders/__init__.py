"""Orders round the closed loop 居民点单、社区派单、党员接单、居民评单: placing, dispatch, taking,
finishing and rating; their SLA clock, photos, read fast lane and statistics."""
