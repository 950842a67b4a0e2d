"""Running the platform: the process table, the local launcher, migrations and demo loading."""
