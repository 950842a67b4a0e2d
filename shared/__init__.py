"""The library every process of the platform imports: settings, database, errors, HTTP plumbing."""
