"""Employers (用工单位) and the accounts that act for them."""
