"""The PII vault: revealing a resident's clear ID number or phone, for a purpose, and the audit of reveals."""
