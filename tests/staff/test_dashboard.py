"""The caseworkers' dashboard (``/staff/``): login, pages, forms with CSRF tokens, headers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from tests.staff.conftest import StaffApp
from webhook.staff.members import revoke_staff
from webhook.tables import bookings, outbox, slots, staff_sessions

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
SCRIPT_NAME = "<script>alert('x')</script> Jansen"


@dataclass
class Browser:
    """An httpx client that behaves like a browser on the dashboard: cookies and forms."""

    http: httpx.AsyncClient

    async def page(self, path: str) -> httpx.Response:
        return await self.http.get(path)

    def csrf(self, page: httpx.Response) -> str:
        match = CSRF.search(page.text)
        assert match, page.text
        return match.group(1)

    async def login(self, token: str) -> httpx.Response:
        form = await self.page("/staff/login")
        assert form.status_code == 200
        return await self.http.post("/staff/login", data={"token": token, "csrf": self.csrf(form)})

    async def submit(
        self, path: str, data: dict[str, str], *, from_page: str = "/staff/"
    ) -> httpx.Response:
        page = await self.page(from_page)
        return await self.http.post(path, data={"csrf": self.csrf(page), **data})


@pytest.fixture
async def browser(staff_app: StaffApp) -> AsyncIterator[Browser]:
    async with staff_app.client() as http:
        yield Browser(http)


@pytest.fixture
async def logged_in(browser: Browser, staff_app: StaffApp) -> Browser:
    response = await browser.login(staff_app.anna.token)
    assert response.status_code == 303, response.text
    return browser


def assert_secure_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, name
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


# -- logging in -----------------------------------------------------------------------------


class TestLogin:
    async def test_without_a_session_pages_lead_to_the_login(self, browser: Browser) -> None:
        for path in ["/staff/", "/staff/bookings/WA-2222", "/staff/callbacks", "/staff/slots"]:
            response = await browser.page(path)
            assert response.status_code == 303, path
            assert response.headers["location"] == "/staff/login"
            assert_secure_headers(response)

    async def test_a_right_token_opens_a_session_cookie(
        self, browser: Browser, staff_app: StaffApp
    ) -> None:
        form = await browser.page("/staff/login")
        assert 'type="password"' in form.text
        assert_secure_headers(form)
        login_cookie = form.headers["set-cookie"]
        assert "HttpOnly" in login_cookie
        assert "SameSite=strict" in login_cookie
        response = await browser.http.post(
            "/staff/login", data={"token": staff_app.anna.token, "csrf": browser.csrf(form)}
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/staff/"
        cookies = response.headers.get_list("set-cookie")
        (session,) = [c for c in cookies if c.startswith("weeraan_staff=")]
        assert "HttpOnly" in session
        assert "SameSite=strict" in session
        assert "Path=/staff" in session
        assert "Secure" not in session  # plain HTTP here: a browser would drop it otherwise
        assert staff_app.anna.token not in " ".join(cookies)
        assert staff_app.anna.token not in response.headers["location"]
        assert (staff_app.anna.member.id, "login", "dashboard") in await staff_app.audit()
        assert (await browser.page("/staff/")).status_code == 200
        # The database keeps only a hash of the session id.
        value = session.split(";", 1)[0].split("=", 1)[1]
        async with staff_app.db.connect() as connection:
            stored = list((await connection.execute(select(staff_sessions))).all())
        assert len(stored) == 1
        assert value not in str(tuple(stored[0]))

    async def test_over_https_the_cookie_is_secure(self, staff_app: StaffApp) -> None:
        async with staff_app.client("https://test") as http:
            browser = Browser(http)
            response = await browser.login(staff_app.anna.token)
            session = next(
                c for c in response.headers.get_list("set-cookie") if "weeraan_staff=" in c
            )
            assert "Secure" in session
            assert (await browser.page("/staff/")).status_code == 200

    async def test_a_wrong_token_is_refused(self, browser: Browser) -> None:
        response = await browser.login("wa_staff_wrong")
        assert response.status_code == 401
        assert "klopt niet" in response.text
        assert "weeraan_staff=" not in " ".join(response.headers.get_list("set-cookie"))
        assert (await browser.page("/staff/")).status_code == 303

    async def test_a_login_without_its_form_token_is_refused(
        self, browser: Browser, staff_app: StaffApp
    ) -> None:
        await browser.page("/staff/login")
        for data in [{"token": staff_app.anna.token}, {"token": staff_app.anna.token, "csrf": "x"}]:
            response = await browser.http.post("/staff/login", data=data)
            assert response.status_code == 403
            assert (await browser.page("/staff/")).status_code == 303

    async def test_logout_ends_the_session_on_the_server(
        self, logged_in: Browser, staff_app: StaffApp
    ) -> None:
        old = dict(logged_in.http.cookies)
        response = await logged_in.submit("/staff/logout", {})
        assert response.status_code == 303
        assert response.headers["location"].startswith("/staff/login")
        assert (await logged_in.page("/staff/")).status_code == 303
        # A copy of the old cookie does not work either.
        async with staff_app.client() as http:
            http.cookies.set("weeraan_staff", old["weeraan_staff"], path="/staff")
            assert (await http.get("/staff/")).status_code == 303
        assert (staff_app.anna.member.id, "logout", "dashboard") in await staff_app.audit()

    async def test_revoking_a_member_ends_their_sessions(
        self, logged_in: Browser, staff_app: StaffApp
    ) -> None:
        assert (await logged_in.page("/staff/")).status_code == 200
        await revoke_staff(staff_app.db, "Anna")
        assert (await logged_in.page("/staff/")).status_code == 303

    async def test_an_expired_session_is_refused(
        self, logged_in: Browser, staff_app: StaffApp
    ) -> None:
        async with staff_app.db.begin() as connection:
            await connection.execute(
                update(staff_sessions).values(expires_at=staff_sessions.c.created_at)
            )
        assert (await logged_in.page("/staff/")).status_code == 303


# -- pages ----------------------------------------------------------------------------------


class TestPages:
    async def test_bookings_urgent_first_with_names_escaped(
        self, logged_in: Browser, staff_app: StaffApp
    ) -> None:
        plain = await staff_app.book_direct(name="Piet Smit", urgent=False, resident="1")
        urgent = await staff_app.book_direct(
            name=SCRIPT_NAME, urgent=True, resident="2", slot_index=3
        )
        page = await logged_in.page("/staff/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert_secure_headers(page)
        html = page.text
        assert "<script" not in html  # escaped, and no scripts of our own either
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Jansen" in html
        assert "style=" not in html  # the CSP forbids inline styles
        assert html.index(urgent) < html.index(plain)
        assert html.index("Urgent") < html.index(plain)
        assert "Uw energie is afgesloten." in html  # reasons in Dutch words
        assert "Komt waarschijnlijk in aanmerking" in html
        assert "+31612345678" in html
        assert "Op kantoor" in html
        assert (
            staff_app.anna.member.id,
            "list_bookings",
            "bookings:list",
        ) in await staff_app.audit()

    async def test_the_detail_page_and_its_forms(
        self, logged_in: Browser, staff_app: StaffApp
    ) -> None:
        reference = await staff_app.book_direct(name=SCRIPT_NAME, urgent=True, resident="2")
        page = await logged_in.page(f"/staff/bookings/{reference}")
        assert page.status_code == 200
        assert_secure_headers(page)
        assert "<script" not in page.text
        assert "Voorbeeldstraat 1, Almere" in page.text
        assert "U woont in Almere." in page.text
        for action in ["claim", "outcome"]:
            assert f'action="/staff/bookings/{reference}/{action}"' in page.text
        assert (
            staff_app.anna.member.id,
            "view_booking",
            f"booking:{reference}",
        ) in await staff_app.audit()
        missing = await logged_in.page("/staff/bookings/WA-2222")
        assert missing.status_code == 404
        assert "bestaat niet" in missing.text

    async def test_the_stylesheet_is_served_locally(self, browser: Browser) -> None:
        response = await browser.page("/staff/staff.css")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/css")
        assert_secure_headers(response)
        assert "url(" not in response.text  # nothing loaded from elsewhere

    async def test_callbacks_page_with_claim_and_done(
        self, logged_in: Browser, staff_app: StaffApp
    ) -> None:
        await staff_app.request_callback(resident="1", urgent=False, phone="+31611111111")
        await staff_app.request_callback(resident="2", urgent=True, phone="+31622222222")
        page = await logged_in.page("/staff/callbacks")
        assert page.status_code == 200
        assert page.text.index("+31622222222") < page.text.index("+31611111111")
        ids = re.findall(r'action="/staff/callbacks/(\d+)/claim"', page.text)
        assert len(ids) == 2
        claimed = await logged_in.submit(
            f"/staff/callbacks/{ids[0]}/claim", {}, from_page="/staff/callbacks"
        )
        assert claimed.status_code == 303
        assert "Anna" in (await logged_in.page("/staff/callbacks")).text
        done = await logged_in.submit(
            f"/staff/callbacks/{ids[0]}/done", {}, from_page="/staff/callbacks"
        )
        assert done.status_code == 303
        after = await logged_in.page(done.headers["location"])
        assert "+31622222222" not in after.text
        assert "afgehandeld" in after.text

    async def test_an_id_beyond_the_column_is_refused_not_a_server_error(
        self, logged_in: Browser
    ) -> None:
        for action in ("claim", "done"):
            response = await logged_in.submit(
                f"/staff/callbacks/{2**63}/{action}", {}, from_page="/staff/callbacks"
            )
            assert response.status_code == 422, response.text

    async def test_dead_notifications_page(self, logged_in: Browser, staff_app: StaffApp) -> None:
        await staff_app.book_direct(name="Piet Geheim", urgent=True, resident="1")
        async with staff_app.db.begin() as connection:
            await connection.execute(
                update(outbox).values(status="dead", attempts=8, last_error="SMTP 550 <boom>")
            )
        page = await logged_in.page("/staff/notifications")
        assert page.status_code == 200
        assert "booking.created" in page.text
        assert "SMTP 550 &lt;boom&gt;" in page.text
        assert "Piet Geheim" not in page.text

    async def test_slots_page_adds_and_closes(
        self, logged_in: Browser, staff_app: StaffApp
    ) -> None:
        page = await logged_in.page("/staff/slots")
        assert page.status_code == 200
        assert "Vrij" in page.text
        zone = staff_app.config.zone
        day = (datetime.now(zone) + timedelta(days=1)).date().isoformat()
        added = await logged_in.submit(
            "/staff/slots",
            {"day": day, "start": "21:30", "minutes": "30", "mode": "phone", "capacity": "2"},
            from_page="/staff/slots",
        )
        assert added.status_code == 303, added.text
        page = await logged_in.page(added.headers["location"])
        assert "21:30 – 22:00" in page.text
        assert "0 van 2" in page.text
        closed = await logged_in.submit(
            "/staff/slots/close",
            {"from_day": day, "to_day": day, "mode": "phone"},
            from_page="/staff/slots",
        )
        assert closed.status_code == 303
        listed = (await staff_app.get("/slots", **{"from": day, "to": day})).json()
        assert {s["mode"] for s in listed} == {"office", "phone"}
        assert all(s["closed"] == (s["mode"] == "phone") for s in listed)
        bad = await logged_in.submit(
            "/staff/slots",
            {"day": "gisteren", "start": "x", "mode": "office"},
            from_page="/staff/slots",
        )
        assert bad.status_code == 422
        assert "Vul een datum" in bad.text


# -- forms: outcome, claim, CSRF ------------------------------------------------------------


class TestForms:
    async def test_every_form_needs_the_session_csrf_token(
        self, logged_in: Browser, staff_app: StaffApp
    ) -> None:
        reference = await staff_app.book_direct(name="Piet", urgent=True, resident="1")
        await staff_app.request_callback(resident="9", urgent=True, phone="+31622222222")
        posts = [
            (f"/staff/bookings/{reference}/claim", {}),
            (f"/staff/bookings/{reference}/outcome", {"outcome": "cancelled", "confirm": "yes"}),
            (f"/staff/bookings/{reference}/move", {"slot_id": "1"}),
            ("/staff/callbacks/1/claim", {}),
            ("/staff/callbacks/1/done", {}),
            ("/staff/slots", {"day": "2030-01-01", "start": "10:00", "mode": "office"}),
            ("/staff/slots/close", {"from_day": "2030-01-01", "to_day": "2030-01-02"}),
            ("/staff/logout", {}),
        ]
        before = await staff_app.audit()
        for path, data in posts:
            for csrf in [None, "", "wrong", "0" * 64]:
                body = data if csrf is None else {**data, "csrf": csrf}
                response = await logged_in.http.post(path, data=body)
                assert response.status_code == 403, (path, csrf)
                assert_secure_headers(response)
        assert await staff_app.audit() == before  # nothing happened
        assert (await logged_in.page("/staff/")).status_code == 200  # still logged in

    async def test_another_sessions_token_does_not_fit(
        self, logged_in: Browser, staff_app: StaffApp
    ) -> None:
        reference = await staff_app.book_direct(name="Piet", urgent=True, resident="1")
        async with staff_app.client() as http:
            other = Browser(http)
            await other.login(staff_app.anna.token)
            foreign = other.csrf(await other.page("/staff/"))
        response = await logged_in.http.post(
            f"/staff/bookings/{reference}/claim", data={"csrf": foreign}
        )
        assert response.status_code == 403

    async def test_claim_and_outcomes_through_the_forms(
        self, logged_in: Browser, staff_app: StaffApp
    ) -> None:
        reference = await staff_app.book_direct(name="Piet", urgent=True, resident="1")
        detail = f"/staff/bookings/{reference}"
        claimed = await logged_in.submit(f"{detail}/claim", {}, from_page=detail)
        assert claimed.status_code == 303
        page = await logged_in.page(claimed.headers["location"])
        assert "op uw naam gezet" in page.text
        assert f'action="{detail}/claim"' not in page.text

        bert = await staff_app.add_staff("Bert")
        async with staff_app.client() as http:
            other = Browser(http)
            await other.login(bert.token)
            late = await other.http.post(
                f"{detail}/claim", data={"csrf": other.csrf(await other.page(detail))}
            )
            assert late.status_code == 409
            assert "Een collega heeft dit al op naam gezet" in late.text

        unsure = await logged_in.submit(
            f"{detail}/outcome", {"outcome": "cancelled"}, from_page=detail
        )
        assert unsure.status_code == 422
        assert "Vink eerst aan" in unsure.text
        cancelled = await logged_in.submit(
            f"{detail}/outcome", {"outcome": "cancelled", "confirm": "yes"}, from_page=detail
        )
        assert cancelled.status_code == 303
        assert "geannuleerd" in (await logged_in.page(cancelled.headers["location"])).text
        async with staff_app.db.connect() as connection:
            row = (
                await connection.execute(
                    select(bookings.c.status, slots.c.booked)
                    .join(slots, slots.c.id == bookings.c.slot_id)
                    .where(bookings.c.reference == reference)
                )
            ).one()
        assert (row.status, row.booked) == ("cancelled", 0)
        assert "booking.cancelled" in await staff_app.outbox_events(reference)
        again = await logged_in.submit(
            f"{detail}/outcome", {"outcome": "attended"}, from_page=detail
        )
        assert again.status_code == 409

    async def test_attended_and_no_show_buttons(
        self, logged_in: Browser, staff_app: StaffApp
    ) -> None:
        reference = await staff_app.book_direct(name="Piet", urgent=True, resident="1")
        detail = f"/staff/bookings/{reference}"
        for outcome, word in [("attended", "Geweest"), ("no_show", "Niet gekomen")]:
            response = await logged_in.submit(
                f"{detail}/outcome", {"outcome": outcome}, from_page=detail
            )
            assert response.status_code == 303
            page = await logged_in.page(detail)
            assert f"<dd>{word}</dd>" in page.text
