"""The notify service: reminders and messages (in-app, e-mail, SMS), webhooks, campaigns."""
