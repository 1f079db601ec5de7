"""Console sign-in, sessions and CSRF: nothing readable or changeable without them."""

from __future__ import annotations

from clawvault.console.auth import COOKIE, SESSION_SECONDS, new_cookie, session_of
from clawvault.core.runtime import Runtime
from clawvault.settings import Settings
from tests.console.helpers import CONSOLE, console, sign_in
from tests.factories import FakeClock, make_pack
from tests.operator import operator_client, operator_settings

PAGES = [
    "/packs",
    "/packs/list",
    "/vault",
    "/vault/results",
    "/orders",
    "/orders/board",
    "/partners",
]


def test_every_page_needs_a_session(settings: Settings, clock: FakeClock) -> None:
    with console(settings, clock) as (client, _settings):
        for page in PAGES:
            answer = client.get(CONSOLE + page, follow_redirects=False)
            assert answer.status_code == 303, page
            assert answer.headers["location"] == f"{CONSOLE}/signin?next={CONSOLE}{page}"
            fragment = client.get(CONSOLE + page, headers={"HX-Request": "true"})
            assert fragment.status_code == 401 and fragment.headers["HX-Redirect"].endswith(
                "/signin"
            )
            assert "<table" not in fragment.text
        action = client.post(f"{CONSOLE}/packs/x/disable", follow_redirects=False)
        assert action.status_code == 303
        assert client.get(CONSOLE + "/signin").status_code == 200


def test_a_wrong_token_is_refused(settings: Settings, clock: FakeClock) -> None:
    with console(settings, clock) as (client, _settings):
        answer = client.post(f"{CONSOLE}/signin", data={"token": "guess"}, follow_redirects=False)
        assert answer.status_code == 401
        assert "That is not the operator token" in answer.text
        assert COOKIE not in answer.cookies
        assert client.get(f"{CONSOLE}/packs", follow_redirects=False).status_code == 303


def test_a_forged_or_expired_cookie_is_refused(settings: Settings, clock: FakeClock) -> None:
    with console(settings, clock) as (client, _settings):
        client.cookies.set(COOKIE, "1.abc.def", path=CONSOLE)
        assert client.get(f"{CONSOLE}/packs", follow_redirects=False).status_code == 303
    runtime = Runtime(db=None, settings=operator_settings(settings))  # type: ignore[arg-type]
    cookie = new_cookie(runtime, now=1_000_000)
    assert session_of(runtime, cookie, now=1_000_000 + 60) is not None
    assert session_of(runtime, cookie, now=1_000_000 + SESSION_SECONDS + 1) is None
    other = Runtime(db=None, settings=operator_settings(settings, admin_token="new-token"))  # type: ignore[arg-type]
    assert session_of(other, cookie, now=1_000_000 + 60) is None  # a new token signs all out


def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_clears_it(
    settings: Settings, clock: FakeClock
) -> None:
    with console(settings, clock) as (client, _settings):
        answer = client.post(
            f"{CONSOLE}/signin",
            data={"token": "operator-secret-token", "next": f"{CONSOLE}/orders"},
            follow_redirects=False,
        )
        assert answer.status_code == 303 and answer.headers["location"] == f"{CONSOLE}/orders"
        set_cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in set_cookie and "samesite=strict" in set_cookie
        assert "operator-secret-token" not in set_cookie
        csrf = sign_in(client)
        assert client.get(f"{CONSOLE}/packs").status_code == 200
        out = client.post(f"{CONSOLE}/signout", data={"csrf": csrf}, follow_redirects=False)
        assert out.status_code == 303
        assert client.get(f"{CONSOLE}/packs", follow_redirects=False).status_code == 303


def test_sign_in_goes_only_to_console_pages(settings: Settings, clock: FakeClock) -> None:
    with console(settings, clock) as (client, _settings):
        for target in ("https://evil.example/", "//evil.example/console/", "/admin/v1/packs"):
            answer = client.post(
                f"{CONSOLE}/signin",
                data={"token": "operator-secret-token", "next": target},
                follow_redirects=False,
            )
            assert answer.headers["location"] == f"{CONSOLE}/packs"


def test_a_change_without_the_csrf_token_is_refused(settings: Settings, clock: FakeClock) -> None:
    pack_id = make_pack(settings, clock=clock)
    with console(settings, clock) as (client, _settings):
        csrf = sign_in(client)
        url = f"{CONSOLE}/packs/{pack_id}/disable"
        for headers in ({"HX-Request": "true"}, {"HX-Request": "true", "X-CSRF-Token": "0" * 64}):
            refused = client.post(url, headers=headers)
            assert refused.status_code == 403
            assert "did not come from the console" in refused.text
        page = client.get(f"{CONSOLE}/packs/{pack_id}")
        assert 'badge ok">enabled' in page.text
        done = client.post(url, data={"csrf": csrf}, headers={"HX-Request": "true"})
        assert done.status_code == 200 and "disabled" in done.text


def test_without_an_operator_token_the_console_is_off(settings: Settings, clock: FakeClock) -> None:
    with operator_client(settings.model_copy(update={"admin_token": ""}), clock) as client:
        page = client.get(f"{CONSOLE}/signin")
        assert "The console is off" in page.text
        answer = client.post(f"{CONSOLE}/signin", data={"token": ""}, follow_redirects=False)
        assert answer.status_code == 503 and COOKIE not in answer.cookies
        assert client.get(f"{CONSOLE}/packs", follow_redirects=False).status_code == 303
