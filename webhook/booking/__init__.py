"""Intake slots and bookings: the booking domain (no aiogram, no FastAPI)."""
