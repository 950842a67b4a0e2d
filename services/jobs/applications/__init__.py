"""Applications of seekers to postings, from applied to hired."""
