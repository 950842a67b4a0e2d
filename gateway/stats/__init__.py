"""The street's statistics: every service's own figures for the caller's street, in one answer or file."""
