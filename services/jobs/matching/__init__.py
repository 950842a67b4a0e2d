"""Matching (人岗对接): postings ranked for a seeker and seekers ranked for a posting."""
