"""Security headers on every staff page and staff API answer (errors and redirects too)."""

from __future__ import annotations

from typing import Final

PREFIXES: Final = ("/staff", "/api/staff")
HEADERS: Final = {
    # No inline script or style anywhere on the dashboard; no framing (clickjacking).
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


def is_staff_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PREFIXES)
