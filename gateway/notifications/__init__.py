"""Each account's notification inbox: pages, marking read, and a server-sent events stream."""
