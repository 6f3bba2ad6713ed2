"""Telegram in the backend: the webhook route, update bookkeeping and the bot's set-up."""
