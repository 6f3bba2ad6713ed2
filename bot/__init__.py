"""The Telegram adapter: aiogram routers that turn updates into events and render replies."""
