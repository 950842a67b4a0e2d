"""Orders service: The closed loop 居民点单、社区派单、党员接单、居民评单: menu, orders, dispatch, ratings, points."""
