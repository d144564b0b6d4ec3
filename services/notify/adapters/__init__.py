"""Notify SQL repositories and the channel adapters (SMTP, SMS provider, webhooks)."""
