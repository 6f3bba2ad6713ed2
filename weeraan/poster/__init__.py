"""A printable A4 poster for letters and notice boards: what WeerAan does, in one language,
with QR codes for the Telegram deep link and the website chat (``weeraan poster``).
"""
