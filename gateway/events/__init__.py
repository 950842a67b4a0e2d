"""The services' events: the internal door where they arrive (inbox lines, webhook deliveries), and the
set-aside ones (dead letters) staff see and replay."""
