"""Seed 002 end to end: CreateOrder → hosted checkout (sandbox) → browser return
and signed webhook → worker → VerifyPayment, with every failure mode."""

from __future__ import annotations

import base64
import threading
import time

import requests
from rq import Queue
from sqlalchemy import func, select

from app.mail.models import EmailLog
from app.orders.models import Order
from app.outbox.models import OutboxEvent
from app.payments.models import Payment, PaymentEvent
from app.sandbox.paysession import store as paysession_store
from tests.rpc.conftest import SERVICE, checkout, order_request, set_mode

SUCCESS = {"message": "Payment successful", "code": "200", "status": "success"}


def count(db, model, *where):
    query = select(func.count()).select_from(model)
    for clause in where:
        query = query.where(clause)
    return db.session.scalar(query)


def order_of(db, public_id: str) -> Order:
    db.session.rollback()
    return db.session.scalar(select(Order).where(Order.public_id == public_id))


def path(url: str, live_url: str) -> str:
    assert url.startswith(live_url), url
    return url[len(live_url) :]


def webhook_jobs(redis_client):
    """The sandbox's queued webhook deliveries: (url, body, secret, delivery_id)."""
    return [job.args for job in Queue("sandbox", connection=redis_client).get_jobs()]


def post_webhook(url: str, body: str, secret: str, at_ms: int | None = None):
    from app.sandbox.paysession.wire import sign

    timestamp = str(at_ms if at_ms is not None else int(time.time() * 1000))
    return requests.post(
        url,
        data=body.encode(),
        headers={
            "content-type": "application/json",
            "x-webhook-timestamp": timestamp,
            "x-webhook-signature": sign(secret, timestamp, body),
            "x-webhook-version": "2023-08-01",
        },
        timeout=10,
    )


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def decode_strings(data: bytes) -> list[tuple[int, bytes]]:
    """A minimal protobuf reader for length-delimited fields (independent of
    the app's encoder)."""
    out, pos = [], 0
    while pos < len(data):
        tag, pos = read_varint(data, pos)
        assert tag & 7 == 2, "only length-delimited fields are expected"
        size, pos = read_varint(data, pos)
        out.append((tag >> 3, data[pos : pos + size]))
        pos += size
    return out


def b64(value: str) -> bytes:
    return base64.b64decode(value + "=" * (-len(value) % 4))


def assert_connect_error(resp, status: int, code: str, reason: str | None = None):
    assert resp.status_code == status, resp.get_json()
    body = resp.get_json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code and body["message"]
    info = body["details"][0]
    assert info["type"] == "google.rpc.ErrorInfo"
    fields = dict(decode_strings(b64(info["value"])))
    assert fields[2] == b"storefront"
    if reason:
        assert fields[1] == reason.encode(), fields
    return body


# --- CreateOrder ------------------------------------------------------------------


def test_create_order_answers_the_seed_response_and_opens_a_session(rpc, live_url, db):
    resp = rpc.call(
        "CreateOrder",
        order_request(
            return_url="https://merchant.example.com/done?order_id={order_id}"
        ),
    )
    assert resp.status_code == 200
    assert resp.content_type.startswith("application/json")
    data = resp.get_json()
    assert list(data) == ["payment_session_id", "return_url", "order_id"]
    assert data["payment_session_id"].startswith("session_")
    assert data["order_id"].startswith("ord_")
    assert data["return_url"] == (
        f"https://merchant.example.com/done?order_id={data['order_id']}"
    )
    order = order_of(db, data["order_id"])
    assert order.kind == "service" and order.status == "payment_pending"
    assert order.total == 29999 and order.currency == "INR"
    assert [i.product_type for i in order.items] == ["service"]
    payment = order.payments[0]
    assert payment.gateway == "paysession" and payment.status == "pending"
    assert payment.gateway_reference == data["payment_session_id"]
    assert payment.next_step == (
        f"{live_url}/_sandbox/paysession/checkout/{data['payment_session_id']}"
    )
    # What the gateway holds: our attempt id, rupees with two decimals, our return
    # and webhook URLs, and a 10-digit phone.
    stored = paysession_store.get_order(payment.gateway_txn_id)
    assert stored["order_amount"] == "299.99"
    assert stored["order_meta"]["return_url"] == (
        f"{live_url}/api/payments/redirect/{payment.id}/success"
    )
    assert stored["order_meta"]["notify_url"] == (
        f"{live_url}/api/payments/webhooks/paysession"
    )
    assert stored["customer_details"]["customer_phone"] == "9999999999"


def test_without_return_url_the_customer_ends_on_our_result_page(rpc, live_url, db):
    data = rpc.create()
    order = order_of(db, data["order_id"])
    assert data["return_url"] == (
        f"{live_url}/payments/result/{order.public_id}?key={order.order_key}"
    )
    assert order.return_url is None


def test_paid_end_to_end_verify_says_success(rpc, live_url, db, jobs, smtp_sink):
    data = rpc.create(
        customer_phone="+91 98765 43210",
        return_url="https://merchant.example.com/done",
        notify_url="https://merchant.example.com/hooks/pay",
        order_note="Invoice 1001",
        order_tags={"name": "Retail", "age": "New"},
        payment_methods="upi,cc",
    )
    back = checkout(live_url, data["payment_session_id"], "success")
    order = order_of(db, data["order_id"])
    payment = order.payments[0]
    assert back == (
        f"{live_url}/api/payments/redirect/{payment.id}/success"
        f"?order_id={payment.gateway_txn_id}"
    )
    resp = requests.get(back, allow_redirects=False, timeout=10)
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith(
        f"https://merchant.example.com/done?order_id={data['order_id']}&"
    )
    assert order_of(db, data["order_id"]).status == "payment_pending"  # worker's job
    jobs.run()  # our verification job and the gateway's webhook delivery
    order = order_of(db, data["order_id"])
    assert order.status == "paid"
    assert rpc.verify(data["order_id"]).get_json() == SUCCESS
    payment = db.session.get(Payment, payment.id)
    assert payment.status == "captured" and payment.verified
    assert payment.captured_amount == 29999
    webhooks = db.session.scalars(
        select(PaymentEvent).where(PaymentEvent.kind == "webhook")
    ).all()
    assert len(webhooks) == 1 and webhooks[0].signature_valid is True
    assert webhooks[0].payment_id == payment.id
    assert len(smtp_sink.to("alice@example.com")) == 1

    # The Order structure, field by field.
    got = rpc.get(f"{SERVICE}/orders/{data['order_id']}").get_json()
    assert list(got) == [
        "id",
        "order_id",
        "order_amount",
        "order_currency",
        "customer_details",
        "order_meta",
        "order_expiry_time",
        "order_note",
        "order_status",
        "order_tags",
        "order_created",
        "payment_session_id",
        "payments",
        "refunds",
        "settlements",
        "notifications",  # the merchant's webhook delivery log (issue #14)
    ]
    assert got["id"] == str(order.id) and got["order_id"] == data["order_id"]
    assert got["order_amount"] == 299.99 and got["order_currency"] == "INR"
    assert got["customer_details"] == {
        "customer_id": 0,
        "org_id": order.merchant_key_id,
        "customer_name": "Alice",
        "customer_email": "alice@example.com",
        "customer_phone": "+91 98765 43210",
    }
    assert got["order_meta"] == {
        "return_url": f"https://merchant.example.com/done?order_id={data['order_id']}",
        "notify_url": "https://merchant.example.com/hooks/pay",
        "payment_methods": "upi,cc",
    }
    assert got["order_expiry_time"].endswith("Z") and got["order_created"].endswith("Z")
    assert got["order_note"] == "Invoice 1001"
    assert got["order_status"] == "paid"
    assert got["order_tags"] == {"name": "Retail", "age": "New"}
    assert got["payment_session_id"] == data["payment_session_id"]
    # The three URLs resolve to JSON lists.
    payments = rpc.get(path(got["payments"]["url"], live_url)).get_json()
    assert rpc.get(path(got["refunds"]["url"], live_url)).get_json() == []
    # What was captured, refunded and is due, per day (issue #14).
    (day,) = rpc.get(path(got["settlements"]["url"], live_url)).get_json()
    assert day["captured_amount"] == 299.99 and day["refunded_amount"] == 0.0
    assert day["settlement_amount"] == 299.99 and day["settlement_currency"] == "INR"
    assert day["payments"] == [str(payment.id)] and day["refunds"] == []
    assert (
        rpc.get(f"{SERVICE}/orders/{data['order_id']}/settlements").status_code == 200
    )
    # The Payment structure, from our record and the gateway's own words.
    assert len(payments) == 1
    paid = payments[0]
    assert list(paid) == [
        "id",
        "order_id",
        "entity",
        "payment_currency",
        "error_details",
        "order_amount",
        "is_captured",
        "payment_group",
        "authorization",
        "payment_method",
        "payment_amount",
        "payment_time",
        "payment_completion_time",
        "payment_status",
        "payment_message",
        "bank_reference",
        "auth_id",
    ]
    assert paid["id"] == str(payment.id) and paid["order_id"] == data["order_id"]
    assert paid["entity"] == "paysession" and paid["payment_currency"] == "INR"
    assert paid["is_captured"] is True and paid["payment_status"] == "paid"
    assert paid["order_amount"] == paid["payment_amount"] == 299.99
    assert paid["payment_group"] == "upi"
    assert paid["payment_method"][0]["upi"]["upi_id"] == "testsuccess@gocash"
    assert paid["payment_message"] == "Transaction successful"
    assert paid["bank_reference"] and len(paid["bank_reference"]) == 12
    assert paid["error_details"] == {}
    assert paid["payment_completion_time"].endswith("Z")
    auth = paid["authorization"]
    assert list(auth) == [
        "action",
        "status",
        "captured_amount",
        "start_time",
        "end_time",
        "approve_by",
        "action_reference",
        "action_time",
    ]
    assert auth["action"] == "capture" and auth["status"] == "success"
    assert auth["captured_amount"] == 299.99 and auth["approve_by"] is None
    assert auth["action_reference"].isdigit()  # the gateway's cf_payment_id
    one = rpc.get(f"{SERVICE}/orders/{data['order_id']}/payments/{payment.id}")
    assert one.get_json() == paid
    # GetOrder as an RPC answers the same structure.
    assert rpc.call("GetOrder", {"order_id": data["order_id"]}).get_json() == got


def test_bills_keep_seed_003_fields(rpc, live_url, db, jobs):
    data = rpc.create()
    requests.get(checkout(live_url, data["payment_session_id"]), timeout=10)
    jobs.run()
    bills = rpc.get(f"{SERVICE}/orders/{data['order_id']}/bills").get_json()
    assert len(bills) == 1
    bill = bills[0]
    assert list(bill) == [
        "id",
        "backend",
        "amount",
        "transaction_id",
        "extra",
        "next_step",
        "verified",
        "created_at",
        "updated_at",
    ]
    payment = order_of(db, data["order_id"]).payments[0]
    assert bill["backend"] == "paysession" and bill["amount"] == 29999
    assert bill["transaction_id"] == payment.gateway_txn_id
    assert bill["verified"] is True
    assert bill["extra"]["order_pk"] == payment.order_id
    assert bill["extra"]["payment_method"] == "paysession"
    assert bill["extra"]["payment_method_pk"] is not None
    assert bill["next_step"].endswith(data["payment_session_id"])


def test_failed_payment_verify_says_failed_then_retry_in_session_pays(
    rpc, live_url, db, jobs
):
    data = rpc.create()
    requests.get(checkout(live_url, data["payment_session_id"], "failed"), timeout=10)
    jobs.run()
    assert order_of(db, data["order_id"]).status == "failed"
    answer = rpc.verify(data["order_id"]).get_json()
    assert answer["status"] == "failed" and answer["code"] == "402"
    assert "declined" in answer["message"]
    payments = rpc.get(f"{SERVICE}/orders/{data['order_id']}/payments").get_json()
    assert payments[0]["payment_status"] == "failed"
    assert payments[0]["is_captured"] is False
    assert payments[0]["error_details"]["error_code"] == ["TRANSACTION_DECLINED"]
    # The session stays open at the gateway: the customer tries again and pays.
    requests.get(checkout(live_url, data["payment_session_id"], "success"), timeout=10)
    jobs.run()
    assert rpc.verify(data["order_id"]).get_json() == SUCCESS
    order = order_of(db, data["order_id"])
    assert order.status == "paid" and not order.needs_refund
    assert count(db, Payment) == 1


def test_user_dropped_verify_says_failed(rpc, live_url, db, jobs):
    data = rpc.create()
    requests.get(checkout(live_url, data["payment_session_id"], "dropped"), timeout=10)
    jobs.run()
    answer = rpc.verify(data["order_id"]).get_json()
    assert answer == {
        "message": "Payment failed: User dropped out of the payment flow",
        "code": "402",
        "status": "failed",
    }
    order = order_of(db, data["order_id"])
    assert order.status == "failed"
    events = db.session.scalars(
        select(PaymentEvent.outcome).where(PaymentEvent.kind == "webhook")
    ).all()
    assert events == ["PAYMENT_USER_DROPPED_WEBHOOK"]


def test_verify_asks_the_gateway_before_any_job_ran(rpc, live_url, db):
    data = rpc.create()
    assert rpc.verify(data["order_id"]).get_json() == {
        "message": "Payment pending",
        "code": "202",
        "status": "pending",
    }
    checkout(live_url, data["payment_session_id"])  # browser never comes back
    assert rpc.verify(data["order_id"]).get_json() == SUCCESS
    assert order_of(db, data["order_id"]).status == "paid"


def test_webhook_and_return_racing_finalise_once(
    rpc, live_url, db, jobs, redis_client, smtp_sink
):
    data = rpc.create()
    back = checkout(live_url, data["payment_session_id"])
    [(url, body, secret, _delivery)] = webhook_jobs(redis_client)
    assert url == f"{live_url}/api/payments/webhooks/paysession"
    results = {}
    barrier = threading.Barrier(3)

    def browser():
        barrier.wait()
        results["return"] = requests.get(back, allow_redirects=False, timeout=10)

    def gateway():
        barrier.wait()
        results["webhook"] = post_webhook(url, body, secret)

    def merchant():
        barrier.wait()
        results["verify"] = requests.post(
            f"{live_url}{SERVICE}/VerifyPayment",
            json={"order_id": data["order_id"]},
            headers={"Authorization": f"Bearer {rpc.key}"},
            timeout=10,
        )

    threads = [threading.Thread(target=f) for f in (browser, gateway, merchant)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["return"].status_code == 302
    assert results["webhook"].status_code == 200
    assert results["verify"].status_code == 200
    assert results["verify"].json()["status"] in ("success", "pending")
    jobs.run()  # the jobs, and the sandbox's own (duplicate) webhook delivery
    jobs.run_scheduled()
    order = order_of(db, data["order_id"])
    assert order.status == "paid" and not order.needs_refund
    assert rpc.verify(data["order_id"]).get_json() == SUCCESS
    assert count(db, Payment) == 1
    assert count(db, PaymentEvent, PaymentEvent.kind == "webhook") == 1
    assert count(db, OutboxEvent, OutboxEvent.topic == "order.payment_success") == 1
    assert len(smtp_sink.to("alice@example.com")) == 1
    assert count(db, EmailLog) == 1


def test_duplicate_webhook_is_stored_once(rpc, live_url, db, jobs, redis_client):
    data = rpc.create()
    checkout(live_url, data["payment_session_id"])  # browser does not return
    [(url, body, secret, _delivery)] = webhook_jobs(redis_client)
    first = post_webhook(url, body, secret)
    assert first.status_code == 200
    assert first.json()["data"]["outcome"] == "accepted"
    for _ in range(2):  # at-least-once: the same event again, freshly signed
        again = post_webhook(url, body, secret)
        assert again.status_code == 200
        assert again.json()["data"]["outcome"] == "duplicate"
    jobs.run()  # the sandbox delivers it a fourth time
    assert order_of(db, data["order_id"]).status == "paid"
    assert count(db, PaymentEvent, PaymentEvent.kind == "webhook") == 1
    booked = db.session.scalars(select(OutboxEvent.topic)).all()
    assert booked.count("order.payment_success") == 1


def test_forged_tampered_and_stale_webhooks_change_nothing(
    rpc, live_url, db, jobs, redis_client
):
    data = rpc.create()
    checkout(live_url, data["payment_session_id"])
    [(url, body, secret, _delivery)] = webhook_jobs(redis_client)
    Queue("sandbox", connection=redis_client).empty()  # only our deliveries
    now_ms = int(time.time() * 1000)
    tampered = body.replace("299.99", "1.00")
    assert tampered != body
    cases = [
        post_webhook(url, body, "not-the-secret"),  # forged
        post_webhook(url, body, secret, at_ms=now_ms - 10 * 60 * 1000),  # stale
        post_webhook(url, body, secret, at_ms=now_ms + 10 * 60 * 1000),  # future
        requests.post(url, data=body, timeout=10),  # unsigned
    ]
    ts = str(now_ms)
    from app.sandbox.paysession.wire import sign

    cases.append(
        requests.post(
            url,
            data=tampered.encode(),
            headers={
                "x-webhook-timestamp": ts,
                "x-webhook-signature": sign(secret, ts, body),
            },
            timeout=10,
        )
    )
    for resp in cases:
        assert resp.status_code == 401, resp.text
        assert resp.json()["error"]["code"] == "INVALID_SIGNATURE"
    jobs.run()
    assert order_of(db, data["order_id"]).status == "payment_pending"
    rejected = db.session.scalars(
        select(PaymentEvent)
        .where(PaymentEvent.kind == "webhook")
        .order_by(PaymentEvent.id)
    ).all()
    assert len(rejected) == 5
    assert all(e.signature_valid is False for e in rejected)
    assert "replay refused" in rejected[1].detail
    assert count(db, OutboxEvent, OutboxEvent.topic != "order.auto_cancel") == 0
    # The genuine message still works afterwards.
    assert post_webhook(url, body, secret).json()["data"]["outcome"] == "accepted"


# --- authentication ------------------------------------------------------------------


def test_wrong_missing_or_revoked_key_is_unauthenticated(rpc, db, merchant):
    from app.accounts.merchant_keys import revoke_merchant_key

    for key in ("", "mk_wrong", "x" * 500):
        resp = rpc.call("CreateOrder", order_request(), key=key)
        assert_connect_error(resp, 401, "unauthenticated", "UNAUTHENTICATED")
    basic = rpc.client.post(
        f"{SERVICE}/CreateOrder",
        json=order_request(),
        headers={"Authorization": f"Basic {merchant[0]}"},
    )
    assert_connect_error(basic, 401, "unauthenticated")
    data = rpc.create()
    assert revoke_merchant_key(merchant[1].id)
    db.session.commit()
    for resp in (
        rpc.call("CreateOrder", order_request()),
        rpc.verify(data["order_id"]),
        rpc.get(f"{SERVICE}/orders/{data['order_id']}"),
        rpc.get(f"{SERVICE}/orders/{data['order_id']}/payments"),
    ):
        assert_connect_error(resp, 401, "unauthenticated")
    assert count(db, Order) == 1


def test_key_from_the_cli_is_shown_once_stored_hashed_and_revocable(app, rpc, db):
    from app.accounts.models import MerchantKey

    runner = app.test_cli_runner()
    out = runner.invoke(args=["merchant-keys", "create", "Shop CLI"])
    assert out.exit_code == 0, out.output
    raw = out.output.strip().splitlines()[-1]
    assert raw.startswith("mk_")
    db.session.rollback()
    stored = db.session.scalar(
        select(MerchantKey).where(MerchantKey.name == "Shop CLI")
    )
    assert stored.key_hash != raw and raw not in stored.key_hash
    resp = rpc.call("CreateOrder", order_request(), key=raw)
    assert resp.status_code == 200
    out = runner.invoke(args=["merchant-keys", "revoke", str(stored.id)])
    assert out.exit_code == 0, out.output
    assert rpc.call("CreateOrder", order_request(), key=raw).status_code == 401


def test_another_merchants_order_is_not_found(rpc, db):
    from app.accounts.merchant_keys import create_merchant_key

    data = rpc.create()
    other, _key = create_merchant_key("Other shop")
    db.session.commit()
    for resp in (
        rpc.call("VerifyPayment", {"order_id": data["order_id"]}, key=other),
        rpc.call("GetOrder", {"order_id": data["order_id"]}, key=other),
        rpc.get(f"{SERVICE}/orders/{data['order_id']}", key=other),
        rpc.get(f"{SERVICE}/orders/{data['order_id']}/payments", key=other),
        rpc.get(f"{SERVICE}/orders/{data['order_id']}/bills", key=other),
        rpc.verify("ord_doesnotexist"),
        rpc.get(f"{SERVICE}/orders/{data['order_id']}/payments/999999"),
    ):
        assert_connect_error(resp, 404, "not_found")


# --- validation -------------------------------------------------------------------


def test_bad_requests_are_400_with_field_details(rpc, db):
    cases = [
        ({"customer_email": "alice@example.com"}, "customer_name"),
        (order_request(order_amount="299.99"), "order_amount"),
        (order_request(order_amount=True), "order_amount"),
        (order_request(order_amount=0), "order_amount"),
        (order_request(order_amount=-5), "order_amount"),
        (order_request(order_amount=10.155), "order_amount"),
        (order_request(customer_email="not-an-email"), "customer_email"),
        (order_request(customer_phone="call me"), "customer_phone"),
        (order_request(return_url="javascript:alert(1)"), "return_url"),
        (order_request(notify_url="ftp://x.example.com"), "notify_url"),
        (order_request(order_currency="inr"), "order_currency"),
        (order_request(order_expiry_time="tomorrow"), "order_expiry_time"),
        (order_request(order_expiry_time="2001-01-01T00:00:00Z"), "order_expiry_time"),
        (order_request(payment_methods="upi,bitcoin"), "payment_methods"),
        (order_request(order_tags={"k": 5}), "order_tags.k"),
        (order_request(surprise="field"), "surprise"),
    ]
    for body, name in cases:
        resp = rpc.call("CreateOrder", body)
        error = assert_connect_error(resp, 400, "invalid_argument", "VALIDATION_ERROR")
        violations = error["details"][1]
        assert violations["type"] == "google.rpc.BadRequest"
        fields = [v["field"] for v in violations["debug"]["fieldViolations"]]
        assert name in fields, (body, fields)
        encoded = [
            dict(decode_strings(v))
            for _n, v in decode_strings(b64(violations["value"]))
        ]
        assert name.encode() in [f[1] for f in encoded]
    everything = rpc.call("CreateOrder", {})
    fields = everything.get_json()["details"][1]["debug"]["fieldViolations"]
    assert {f["field"] for f in fields} >= {
        "customer_name",
        "customer_email",
        "customer_phone",
        "order_amount",
    }
    not_json = rpc.client.post(
        f"{SERVICE}/CreateOrder",
        data="nope",
        headers={**rpc.headers(), "Content-Type": "application/json"},
    )
    assert_connect_error(not_json, 400, "invalid_argument")
    assert_connect_error(rpc.call("VerifyPayment", {}), 400, "invalid_argument")
    assert_connect_error(
        rpc.call("VerifyPayment", {"order_id": 42}), 400, "invalid_argument"
    )
    assert count(db, Order) == 0 and count(db, Payment) == 0


def test_a_method_for_another_currency_or_inactive_is_refused(rpc, db):
    from app.payments.models import PaymentMethod

    resp = rpc.call("CreateOrder", order_request(order_currency="USD"))
    error = assert_connect_error(
        resp, 400, "invalid_argument", "PAYMENT_METHOD_NOT_ALLOWED"
    )
    assert "USD" in error["message"]
    method = db.session.scalar(
        select(PaymentMethod).where(PaymentMethod.code == "paysession")
    )
    method.active = False
    db.session.commit()
    resp = rpc.call("CreateOrder", order_request())
    assert_connect_error(resp, 400, "invalid_argument", "PAYMENT_METHOD_NOT_ALLOWED")
    assert count(db, Order) == 0 and count(db, Payment) == 0


def test_unknown_procedure_is_a_connect_404(rpc):
    resp = rpc.call("RefundEverything", {})
    assert_connect_error(resp, 404, "unimplemented")


def test_idempotency_key_answers_the_same_order(rpc, db):
    headers = {"Idempotency-Key": "inv-1001"}
    first = rpc.call("CreateOrder", order_request(), headers=headers)
    second = rpc.call("CreateOrder", order_request(), headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json()
    assert count(db, Order) == 1 and count(db, Payment) == 1
    other = rpc.call("CreateOrder", order_request(order_amount=5), headers=headers)
    assert_connect_error(other, 409, "already_exists", "IDEMPOTENCY_KEY_REUSED")
    assert count(db, Order) == 1


# --- the gateway down, slow, or the order expired -----------------------------------


def test_gateway_down_is_503_and_retry_succeeds(rpc, live_url, db, jobs):
    set_mode(live_url, "fail")
    resp = rpc.call("CreateOrder", order_request(), headers={"Idempotency-Key": "k1"})
    assert_connect_error(resp, 503, "unavailable", "GATEWAY_UNAVAILABLE")
    assert resp.headers["Retry-After"]
    assert count(db, Order) == 0 and count(db, Payment) == 0
    set_mode(live_url, "ok")
    data = rpc.call(
        "CreateOrder", order_request(), headers={"Idempotency-Key": "k1"}
    ).get_json()
    requests.get(checkout(live_url, data["payment_session_id"]), timeout=10)
    jobs.run()
    assert rpc.verify(data["order_id"]).get_json() == SUCCESS
    assert count(db, Order) == 1 and count(db, Payment) == 1


def test_gateway_hang_times_out_as_503(app, rpc, live_url, db):
    saved = (
        app.config["GATEWAY_TIMEOUT_SECONDS"],
        app.config.get("SANDBOX_HANG_SECONDS"),
    )
    app.config["GATEWAY_TIMEOUT_SECONDS"] = 1
    app.config["SANDBOX_HANG_SECONDS"] = 3
    try:
        set_mode(live_url, "hang")
        resp = rpc.call("CreateOrder", order_request())
        # The hanging sandbox would answer (200) after 3 s; a 503 means our 1 s
        # timeout gave up first. No wall-clock bound: the machine may be slow.
        assert_connect_error(resp, 503, "unavailable")
        assert count(db, Order) == 0 and count(db, Payment) == 0
        set_mode(live_url, "ok")
        assert rpc.call("CreateOrder", order_request()).status_code == 200
    finally:
        app.config["GATEWAY_TIMEOUT_SECONDS"] = saved[0]
        if saved[1] is None:
            app.config.pop("SANDBOX_HANG_SECONDS", None)
        else:
            app.config["SANDBOX_HANG_SECONDS"] = saved[1]
        time.sleep(2)  # let the hanging sandbox request finish inside this test


def test_verify_with_the_gateway_down_is_503_and_changes_nothing(rpc, live_url, db):
    data = rpc.create()
    checkout(live_url, data["payment_session_id"])
    set_mode(live_url, "fail")
    resp = rpc.verify(data["order_id"])
    assert_connect_error(resp, 503, "unavailable", "GATEWAY_UNAVAILABLE")
    assert order_of(db, data["order_id"]).status == "payment_pending"
    set_mode(live_url, "ok")
    assert rpc.verify(data["order_id"]).get_json() == SUCCESS


def test_expired_order_stops_accepting_payment(rpc, live_url, db, client):
    from app.db import utcnow

    data = rpc.create()
    order = order_of(db, data["order_id"])
    payment = order.payments[0]
    order.expires_at = utcnow()
    db.session.commit()
    paysession_store.update(
        paysession_store.order_key(payment.gateway_txn_id),
        lambda o: {**o, "order_expiry_time": "2001-01-01T00:00:00+05:30"},
    )
    page = requests.get(
        f"{live_url}/_sandbox/paysession/checkout/{data['payment_session_id']}",
        timeout=10,
    )
    assert page.status_code == 409  # the gateway refuses to take money
    answer = rpc.verify(data["order_id"]).get_json()
    assert answer == {
        "message": "Order expired before it was paid",
        "code": "410",
        "status": "failed",
    }
    order = order_of(db, data["order_id"])
    assert order.status == "cancelled"
    assert db.session.get(Payment, payment.id).status == "expired"
    got = rpc.get(f"{SERVICE}/orders/{data['order_id']}").get_json()
    assert got["order_status"] == "cancelled"
    # Paying it again is refused (409) and creates no payment.
    resp = client.post(
        f"/orders/{order.public_id}/pay",
        data={"key": order.order_key, "method": "paysession"},
    )
    assert resp.status_code == 409
    assert count(db, Payment) == 1
