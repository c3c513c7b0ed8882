"""The KOMOJU simulator, driven over real HTTP like the merchant adapter drives it.

Webhooks go to a small WSGI receiver on loopback that records the raw bytes it
got, so the signature is checked over exactly what travelled on the wire.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from rq import Queue
from rq.registry import ScheduledJobRegistry
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app.sandbox.komoju.webhooks import sign
from tests.conftest import free_port

SANDBOX = "/_sandbox/komoju"
API = f"{SANDBOX}/api/v1"
SECRET_KEY = "sk_test_sandbox"
WEBHOOK_SECRET = "whsec_komoju_demo"
RETURN_URL = "https://example.com/komoju/return?order=42"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,*/*;q=0.8"
JST = dt.timezone(dt.timedelta(hours=9))

VECTOR_BODY = (
    b'{"id":"evt_test_0001","type":"payment.captured","resource":"event",'
    b'"data":{"id":"pay_test_0001","resource":"payment","status":"captured",'
    b'"amount":1200,"tax":0,"total":1200,"currency":"JPY",'
    b'"external_order_num":"ORDER-42","session":"sess_test_0001"},'
    b'"created_at":"2024-01-01T00:00:00Z","reason":null}'
)
VECTOR_SIGNATURE = "ec0dbbf133143e73b8511874afa6d945c9bccec3baea969c5b5ba8cd24378e6e"


# --- helpers --------------------------------------------------------------------


def call(live_url: str, method: str, path: str, **kwargs) -> requests.Response:
    kwargs.setdefault("auth", (SECRET_KEY, ""))
    timeout = kwargs.pop("timeout", 10)
    url = f"{live_url}{API}{path}"
    return requests.request(method, url, timeout=timeout, **kwargs)


def create_session(live_url: str, **fields) -> dict:
    body = {
        "amount": 1200,
        "currency": "JPY",
        "return_url": RETURN_URL,
        "payment_types": ["credit_card", "konbini"],
        "payment_data": {"external_order_num": "ORDER-42"},
        **fields,
    }
    resp = call(live_url, "POST", "/sessions", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def click(
    live_url: str, session_id: str, payment_type: str, outcome: str
) -> requests.Response:
    """A button on the hosted page: a plain form post, redirects not followed."""
    return requests.post(
        f"{live_url}{SANDBOX}/sessions/{session_id}/complete",
        data={"payment_type": payment_type, "outcome": outcome},
        allow_redirects=False,
        timeout=10,
    )


def store_action(live_url: str, session_id: str, action: str, **kw):
    return requests.post(
        f"{live_url}{SANDBOX}/sessions/{session_id}/{action}", timeout=10, **kw
    )


def get_session(live_url: str, session_id: str) -> dict:
    resp = call(live_url, "GET", f"/sessions/{session_id}")
    assert resp.status_code == 200, resp.text
    return resp.json()


def paid_session(live_url: str, payment_type: str = "credit_card") -> dict:
    """A completed session (card: captured; konbini: slip issued)."""
    session = create_session(live_url)
    assert click(live_url, session["id"], payment_type, "capture").status_code == 302
    return get_session(live_url, session["id"])


def jst_deadline(days: int) -> str:
    last_day = dt.datetime.now(JST).date() + dt.timedelta(days=days)
    return f"{last_day.isoformat()}T14:59:59Z"


class Receiver:
    """A merchant webhook endpoint that records raw requests and answers with the
    queued statuses (200 once they run out)."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            self.calls.append((dict(request.headers), request.get_data()))
            status = self.statuses.pop(0) if self.statuses else 200
        return Response("ok", status=status)(environ, start_response)

    def events(self) -> list[dict]:
        return [json.loads(body) for _, body in self.calls]


@pytest.fixture(autouse=True)
def _fresh_sandbox(app):
    """Use the `app` fixture everywhere: it empties Redis, so every test starts in
    `ok` mode with no sessions, even tests that only talk HTTP to `live_url`."""


@pytest.fixture
def receiver(app, monkeypatch):
    rec = Receiver()
    server = make_server("127.0.0.1", 0, rec, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/webhooks/komoju"
    monkeypatch.setitem(app.config, "KOMOJU_WEBHOOK_URL", url)
    yield rec
    server.shutdown()
    server.server_close()


# --- signatures and sessions ------------------------------------------------------


def test_signature_matches_the_gateways_md_vector():
    assert len(VECTOR_BODY) == 299
    assert sign(WEBHOOK_SECRET, VECTOR_BODY) == VECTOR_SIGNATURE


def test_create_session_with_json(live_url):
    session = create_session(live_url, email="buyer@example.com", metadata={"a": "b"})

    assert re.fullmatch(r"[a-z0-9]{25}", session["id"])
    assert session["session_url"] == f"{live_url}{SANDBOX}/sessions/{session['id']}"
    assert session["resource"] == "session"
    assert session["mode"] == "payment"
    assert session["status"] == "pending"
    assert session["expired"] is False
    assert session["payment"] is None
    assert session["cancelled_at"] is None and session["completed_at"] is None
    assert session["amount"] == 1200 and session["currency"] == "JPY"
    assert session["return_url"] == RETURN_URL
    assert session["payment_methods"] == [{"type": "credit_card"}, {"type": "konbini"}]
    assert session["payment_data"] == {"external_order_num": "ORDER-42"}
    assert session["metadata"] == {"a": "b"}
    assert session["email"] == "buyer@example.com"
    assert session["default_locale"] == "ja"
    assert get_session(live_url, session["id"]) == session


def test_create_session_form_encoded(live_url):
    resp = call(
        live_url,
        "POST",
        "/sessions",
        data={
            "amount": "5000",
            "currency": "jpy",
            "return_url": RETURN_URL,
            "payment_types[]": ["konbini"],
            "payment_data[external_order_num]": "ORDER-7",
            "metadata[cart]": "9",
            "default_locale": "en",
        },
    )

    assert resp.status_code == 200, resp.text
    session = resp.json()
    assert session["amount"] == 5000
    assert session["currency"] == "JPY"
    assert session["payment_methods"] == [{"type": "konbini"}]
    assert session["payment_data"] == {"external_order_num": "ORDER-7"}
    assert session["metadata"] == {"cart": "9"}
    assert session["default_locale"] == "en"


def test_payment_types_default_to_every_method(live_url):
    resp = call(
        live_url,
        "POST",
        "/sessions",
        json={"amount": 0, "currency": "JPY", "return_url": RETURN_URL},
    )

    assert resp.status_code == 200
    assert {m["type"] for m in resp.json()["payment_methods"]} == {
        "credit_card",
        "konbini",
    }


@pytest.mark.parametrize(
    "auth", [None, ("sk_test_wrong", ""), ("", SECRET_KEY)], ids=str
)
def test_api_refuses_a_missing_or_wrong_key(live_url, auth):
    resp = call(live_url, "GET", "/sessions/nope", auth=auth)

    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "unauthorized"
    assert resp.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    ("change", "code", "param"),
    [
        ({"amount": None}, "bad_request", "amount"),
        ({"amount": -1}, "invalid_parameter", "amount"),
        ({"amount": 12.5}, "invalid_parameter", "amount"),
        ({"amount": True}, "invalid_parameter", "amount"),
        ({"currency": "JPYEN"}, "invalid_parameter", "currency"),
        ({"return_url": None}, "bad_request", "return_url"),
        ({"return_url": "/relative"}, "invalid_parameter", "return_url"),
        ({"payment_types": ["paypay"]}, "invalid_parameter", "payment_types"),
        ({"payment_types": []}, "invalid_parameter", "payment_types"),
        ({"expires_in_seconds": 86401}, "invalid_parameter", "expires_in_seconds"),
        ({"default_locale": "fr"}, "invalid_parameter", "default_locale"),
        ({"metadata": {"k" * 31: "v"}}, "invalid_parameter", "metadata"),
        ({"metadata": {"k": 1}}, "invalid_parameter", "metadata"),
        ({"payment_data": {"capture": "later"}}, "invalid_parameter", None),
    ],
)
def test_create_session_rejects_invalid_parameters(live_url, change, code, param):
    body = {"amount": 1200, "currency": "JPY", "return_url": RETURN_URL}
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}

    resp = call(live_url, "POST", "/sessions", json=body)

    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == code
    assert error["message"]
    if param:
        assert error["param"] == param


def test_create_session_rejects_a_body_that_is_not_an_object(live_url):
    resp = call(
        live_url,
        "POST",
        "/sessions",
        data="[1, 2]",
        headers={"Content-Type": "application/json"},
    )

    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "bad_request"


def test_unknown_ids_and_paths_answer_404_json(live_url, client):
    for path in ("/sessions/nope", "/payments/nope", "/no/such/thing"):
        resp = call(live_url, "GET", path)
        assert resp.status_code == 404, path
        assert resp.json()["error"]["code"] == "not_found"
    assert client.get(f"{SANDBOX}/sessions/nope").status_code == 404


def test_merchant_can_cancel_only_a_pending_session(live_url):
    session = create_session(live_url)

    resp = call(live_url, "POST", f"/sessions/{session['id']}/cancel")

    assert resp.status_code == 200
    assert resp.json()["status"] == "cancelled"
    assert resp.json()["cancelled_at"]
    again = call(live_url, "POST", f"/sessions/{session['id']}/cancel")
    assert again.status_code == 422
    assert click(live_url, session["id"], "credit_card", "capture").status_code == 409


# --- hosted page ------------------------------------------------------------------


def test_hosted_page_offers_the_session_payment_types(live_url, client):
    session = create_session(live_url)

    html = client.get(f"{SANDBOX}/sessions/{session['id']}").get_data(as_text=True)

    assert "¥1,200" in html
    for button in (
        "komoju-credit_card-capture",
        "komoju-credit_card-decline",
        "komoju-konbini-capture",
        "komoju-cancel",
    ):
        assert f'id="{button}"' in html
    card_only = create_session(live_url, payment_types=["credit_card"])
    html = client.get(f"{SANDBOX}/sessions/{card_only['id']}").get_data(as_text=True)
    assert "komoju-konbini-capture" not in html


def test_card_capture_redirects_and_completes_the_session(live_url):
    session = create_session(live_url)

    resp = click(live_url, session["id"], "credit_card", "capture")

    assert resp.status_code == 302
    assert resp.headers["Location"] == f"{RETURN_URL}&session_id={session['id']}"
    done = get_session(live_url, session["id"])
    assert done["status"] == "completed"
    assert done["completed_at"]
    payment = done["payment"]
    assert payment["status"] == "captured"
    assert payment["captured_at"]
    assert payment["resource"] == "payment"
    assert payment["session"] == session["id"]
    assert payment["external_order_num"] == "ORDER-42"
    assert payment["total"] == payment["amount"] == 1200
    assert payment["tax"] == 0 and payment["payment_method_fee"] == 0
    assert payment["amount_refunded"] == 0 and payment["refunds"] == []
    assert payment["payment_details"]["type"] == "credit_card"
    assert payment["payment_deadline"] is None
    fetched = call(live_url, "GET", f"/payments/{payment['id']}").json()
    assert fetched == payment


def test_return_url_without_a_query_gets_a_question_mark(live_url):
    session = create_session(live_url, return_url="https://example.com/back")

    resp = click(live_url, session["id"], "credit_card", "cancel")

    assert resp.headers["Location"] == (
        f"https://example.com/back?session_id={session['id']}"
    )


def test_customer_cancel_leaves_the_session_pending_without_payment(live_url, app):
    session = create_session(live_url)

    resp = requests.post(
        f"{live_url}{SANDBOX}/sessions/{session['id']}/complete",
        data={"outcome": "cancel"},
        allow_redirects=False,
        timeout=10,
    )

    assert resp.status_code == 302
    query = parse_qs(urlsplit(resp.headers["Location"]).query)
    assert query == {"order": ["42"], "session_id": [session["id"]]}
    after = get_session(live_url, session["id"])
    assert after["status"] == "pending" and after["payment"] is None
    sandbox_queue = Queue("sandbox", connection=app.extensions["redis"])
    assert sandbox_queue.count == 0


def test_decline_fails_the_payment_and_the_customer_may_retry(live_url, receiver, jobs):
    session = create_session(live_url)

    resp = click(live_url, session["id"], "credit_card", "decline")

    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"session_id={session['id']}")
    assert get_session(live_url, session["id"])["status"] == "pending"
    jobs.run()
    [failed] = receiver.events()
    assert failed["type"] == "payment.failed"
    assert failed["data"]["status"] == "failed"
    assert failed["data"]["session"] == session["id"]
    stored = call(live_url, "GET", f"/payments/{failed['data']['id']}").json()
    assert stored["status"] == "failed"

    assert click(live_url, session["id"], "credit_card", "capture").status_code == 302
    done = get_session(live_url, session["id"])
    assert done["status"] == "completed"
    assert done["payment"]["status"] == "captured"
    assert done["payment"]["id"] != failed["data"]["id"]


def test_completing_a_finished_session_is_a_409_page(live_url):
    session = paid_session(live_url)

    resp = click(live_url, session["id"], "credit_card", "capture")

    assert resp.status_code == 409
    assert "text/html" in resp.headers["Content-Type"]
    assert get_session(live_url, session["id"])["payment"]["status"] == "captured"


def test_payment_type_not_offered_is_a_400(live_url):
    session = create_session(live_url, payment_types=["credit_card"])

    assert click(live_url, session["id"], "konbini", "capture").status_code == 400
    assert click(live_url, session["id"], "paypay", "capture").status_code == 400
    assert click(live_url, session["id"], "credit_card", "explode").status_code == 400
    assert get_session(live_url, session["id"])["status"] == "pending"


def test_manual_capture_authorizes_then_the_merchant_captures(live_url):
    session = create_session(
        live_url, payment_data={"external_order_num": "O-9", "capture": "manual"}
    )
    click(live_url, session["id"], "credit_card", "capture")
    payment = get_session(live_url, session["id"])["payment"]
    assert payment["status"] == "authorized"

    resp = call(live_url, "POST", f"/payments/{payment['id']}/capture")

    assert resp.status_code == 200
    assert resp.json()["status"] == "captured"
    assert resp.json()["captured_at"]


# --- konbini ---------------------------------------------------------------------


def test_konbini_slip_is_authorized_until_paid_at_the_store(live_url, receiver, jobs):
    session = paid_session(live_url, "konbini")
    payment = session["payment"]

    assert session["status"] == "completed"
    assert payment["status"] == "authorized"
    assert payment["captured_at"] is None
    assert payment["payment_deadline"] == jst_deadline(3)
    details = payment["payment_details"]
    assert details["type"] == "konbini"
    assert details["store"] == "lawson"
    assert details["confirmation_code"] and details["receipt"]
    assert details["instructions_url"].startswith(live_url)

    resp = store_action(live_url, session["id"], "pay_at_store")

    assert resp.status_code == 200
    assert resp.json()["status"] == "captured"
    captured = call(live_url, "GET", f"/payments/{payment['id']}").json()
    assert captured["status"] == "captured" and captured["captured_at"]
    jobs.run()
    assert [e["type"] for e in receiver.events()] == [
        "payment.authorized",
        "payment.captured",
    ]
    assert store_action(live_url, session["id"], "pay_at_store").status_code == 409


def test_konbini_expiry_days_come_from_config(live_url, app, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_KONBINI_EXPIRY_DAYS", 10)

    payment = paid_session(live_url, "konbini")["payment"]

    assert payment["payment_deadline"] == jst_deadline(10)


def test_unpaid_konbini_slip_expires(live_url, receiver, jobs):
    session = paid_session(live_url, "konbini")

    resp = store_action(live_url, session["id"], "expire")

    assert resp.status_code == 200
    assert resp.json()["status"] == "expired"
    assert get_session(live_url, session["id"])["payment"]["status"] == "expired"
    jobs.run()
    assert receiver.events()[-1]["type"] == "payment.expired"
    assert store_action(live_url, session["id"], "expire").status_code == 409
    assert store_action(live_url, session["id"], "pay_at_store").status_code == 409


def test_store_actions_need_an_authorized_konbini_payment(live_url):
    pending = create_session(live_url)
    card = paid_session(live_url)

    for session_id in (pending["id"], card["id"]):
        for action in ("pay_at_store", "expire"):
            resp = store_action(live_url, session_id, action)
            assert resp.status_code == 409, (session_id, action)
            assert resp.json()["error"]["code"] == "invalid_state"


def test_index_lists_sessions_with_store_buttons(live_url, client):
    session = paid_session(live_url, "konbini")

    html = client.get(f"{SANDBOX}/").get_data(as_text=True)

    assert session["id"] in html
    assert session["payment"]["payment_deadline"] in html
    assert f'id="komoju-pay-at-store-{session["id"]}"' in html
    assert f'id="komoju-expire-{session["id"]}"' in html
    assert "payment.authorized" in html

    resp = client.post(
        f"{SANDBOX}/sessions/{session['id']}/pay_at_store",
        data={"back": "index"},
        headers={"Accept": BROWSER_ACCEPT},
    )
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"{SANDBOX}/")
    html = client.get(f"{SANDBOX}/").get_data(as_text=True)
    assert f"komoju-pay-at-store-{session['id']}" not in html


# --- webhooks --------------------------------------------------------------------


def test_webhook_is_signed_over_the_exact_raw_body(live_url, receiver, jobs):
    session = paid_session(live_url)

    jobs.run()

    [(headers, body)] = receiver.calls
    expected = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Komoju-Signature"] == expected
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "Komoju-Webhook"
    assert headers["X-Komoju-Event"] == "payment.captured"
    event = json.loads(body)
    assert headers["X-Komoju-Id"] == event["id"]
    assert event["id"].startswith("evt_")
    assert event["type"] == "payment.captured"
    assert event["resource"] == "event"
    assert event["reason"] is None
    assert event["created_at"].endswith("Z")
    assert event["data"] == session["payment"]


def test_failed_delivery_is_retried_until_it_arrives(live_url, receiver, jobs, client):
    receiver.statuses = [500]
    session = paid_session(live_url)

    jobs.run()

    assert len(receiver.calls) == 1
    assert len(jobs.scheduled("sandbox")) == 1

    jobs.run_scheduled()

    assert len(receiver.calls) == 2
    first, second = receiver.calls
    assert first[1] == second[1]
    assert first[0]["X-Komoju-Id"] == second[0]["X-Komoju-Id"]
    assert jobs.scheduled("sandbox") == []
    html = client.get(f"{SANDBOX}/").get_data(as_text=True)
    row = html.split(f'data-session="{session["id"]}"')[1]
    assert "500 at" in row and "200 at" in row


def test_unreachable_endpoint_is_retried_later(live_url, app, monkeypatch, jobs):
    url = f"http://127.0.0.1:{free_port()}/webhooks/komoju"
    monkeypatch.setitem(app.config, "KOMOJU_WEBHOOK_URL", url)
    paid_session(live_url)

    jobs.run()

    registry = ScheduledJobRegistry("sandbox", connection=app.extensions["redis"])
    assert registry.count == 1


# --- refunds ---------------------------------------------------------------------


def test_full_refund(live_url, receiver, jobs):
    payment = paid_session(live_url)["payment"]

    resp = call(live_url, "POST", f"/payments/{payment['id']}/refund")

    assert resp.status_code == 200
    refunded = resp.json()
    assert refunded["status"] == "refunded"
    assert refunded["amount_refunded"] == 1200
    assert [r["amount"] for r in refunded["refunds"]] == [1200]
    jobs.run()
    assert receiver.events()[-1]["type"] == "payment.refunded"
    again = call(live_url, "POST", f"/payments/{payment['id']}/refund")
    assert again.status_code == 422


def test_partial_refunds_keep_the_payment_captured(live_url, receiver, jobs):
    payment = paid_session(live_url)["payment"]
    path = f"/payments/{payment['id']}/refund"

    first = call(live_url, "POST", path, json={"amount": 200})

    assert first.status_code == 200
    assert first.json()["status"] == "captured"
    assert first.json()["amount_refunded"] == 200
    too_much = call(live_url, "POST", path, data={"amount": "1001"})
    assert too_much.status_code == 422
    assert too_much.json()["error"]["param"] == "amount"
    rest = call(live_url, "POST", path, data={"amount": "1000"})
    assert rest.json()["status"] == "refunded"
    assert rest.json()["amount_refunded"] == 1200
    jobs.run()
    assert [e["type"] for e in receiver.events()] == [
        "payment.captured",
        "payment.refund.created",
        "payment.refunded",
    ]


def test_refund_of_an_uncaptured_payment_is_refused(live_url):
    payment = paid_session(live_url, "konbini")["payment"]

    resp = call(live_url, "POST", f"/payments/{payment['id']}/refund")

    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "invalid_state"


# --- fault modes -------------------------------------------------------------------


def test_fail_mode_makes_the_api_answer_503(live_url, client):
    session = create_session(live_url)
    mode_url = f"{live_url}{SANDBOX}/mode"

    assert requests.post(mode_url, data={"mode": "fail"}, timeout=10).json() == {
        "mode": "fail"
    }
    resp = call(live_url, "GET", f"/sessions/{session['id']}")
    assert resp.status_code == 503
    assert resp.json()["error"]["code"] == "service_unavailable"
    assert call(live_url, "POST", "/sessions", json={}).status_code == 503
    assert client.get(f"{SANDBOX}/sessions/{session['id']}").status_code == 200
    assert requests.get(mode_url, timeout=10).json() == {"mode": "fail"}

    requests.post(mode_url, json={"mode": "ok"}, timeout=10)
    assert call(live_url, "GET", f"/sessions/{session['id']}").status_code == 200
    assert requests.post(mode_url, data={"mode": "x"}, timeout=10).status_code == 400


def test_hang_mode_delays_the_api(live_url, app, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_HANG_SECONDS", 0.5)
    requests.post(f"{live_url}{SANDBOX}/mode", json={"mode": "hang"}, timeout=10)

    started = time.monotonic()
    resp = call(live_url, "GET", "/sessions/nope")

    assert time.monotonic() - started >= 0.5
    assert resp.status_code == 404
    with pytest.raises(requests.Timeout):
        call(live_url, "GET", "/sessions/nope", timeout=0.1)
    requests.post(f"{live_url}{SANDBOX}/mode", json={"mode": "ok"}, timeout=10)


def test_session_lapses_after_expires_in_seconds(live_url, redis_client):
    session = create_session(live_url, expires_in_seconds=60)
    key = f"sandbox:komoju:session:{session['id']}"
    record = json.loads(redis_client.get(key))
    record["created_at"] = "2024-01-01T00:00:00Z"
    redis_client.set(key, json.dumps(record))

    assert get_session(live_url, session["id"])["expired"] is True
    assert click(live_url, session["id"], "credit_card", "capture").status_code == 409
    assert get_session(live_url, session["id"])["status"] == "pending"
