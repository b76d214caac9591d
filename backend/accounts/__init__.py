"""Accounts: users, passwords, tokens and login throttling (``operations``), the acting
user and route access policies (``security``), and the audit log writer (``audit``)."""
