"""Webhooks of the street offices' systems (Standard Webhooks): endpoints, signed deliveries, the log."""
