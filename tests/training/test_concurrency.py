"""Races with real concurrency: many HTTP requests at once against the threaded
live server, and finalisations running side by side in their own transactions.

These are the invariants SPEC §6 asks to prove on PostgreSQL (they run on SQLite
too, where writers are serialised): no cohort is over-enrolled, every payment is
accounted for, and one user never holds two active enrollments.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts.services import issue_token
from app.db import utcnow
from app.extensions import db as _db
from app.library.models import ProductAccess
from app.mail.models import EmailLog
from app.orders.models import Order
from app.payments.jobs import handle_payment_success
from app.payments.models import Payment
from app.training.models import Enrollment
from tests.support import esewa
from tests.training.conftest import count, seats


def make_users(factory, n: int, prefix: str) -> list[tuple[int, str, str]]:
    """(user id, email, bearer token) for n new customers."""
    users = []
    for i in range(n):
        user = factory.user(email=f"{prefix}{i}@example.com", name=f"{prefix} {i}")
        users.append((user.id, user.email, issue_token(user)))
        _db.session.commit()  # each factory call starts by rolling back
    return users


def enroll_body(product, cohort, session, email: str) -> dict:
    """Built in the test's thread: worker threads must not touch ORM objects."""
    return {
        "productId": product.id,
        "cohortId": cohort.id,
        "sessionId": session.id,
        "promoCode": None,
        "gateway": "esewa",
        "returnUrl": None,
        "formData": {"name": email, "email": email, "phone": "+9779800000000"},
    }


def post_enroll(live_url: str, token: str, body: dict, key: str | None):
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    resp = requests.post(
        f"{live_url}/api/mobile/training/enroll", json=body, headers=headers, timeout=60
    )
    return resp.status_code, resp.json()


def pay_and_return(live_url: str, init: dict) -> None:
    url = esewa.pay(live_url, init, "success")
    resp = requests.get(url, allow_redirects=False, timeout=60)
    assert resp.status_code == 302, resp.text[:300]


def finalise(app, payment_id: int) -> str:
    """What an RQ worker does for `order.payment_success`, in its own transaction."""
    with app.app_context():
        try:
            outcome = handle_payment_success(payment_id, "redirect")
            _db.session.commit()
            return outcome
        except BaseException:
            _db.session.rollback()
            raise
        finally:
            _db.session.remove()


def run_all(jobs_list, workers: int):
    """Start every callable at the same moment (a barrier) and collect results."""
    barrier = threading.Barrier(len(jobs_list))

    def start(job):
        barrier.wait(timeout=30)
        return job()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(start, jobs_list))


def test_thirty_users_race_for_five_seats_and_all_pay(
    app, factory, live_url, db, jobs, report
):
    factory.payment_methods()
    product, cohort, session = factory.training(capacity=5)
    users = make_users(factory, 30, "racer")

    def attempt(user):
        uid, email, token = user
        body = enroll_body(product, cohort, session, email)

        def go():
            return uid, *post_enroll(live_url, token, body, f"k-{uid}")

        return go

    results = run_all([attempt(u) for u in users], workers=30)
    won = [(uid, body["data"]) for uid, status, body in results if status == 200]
    refused = [(uid, body) for uid, status, body in results if status != 200]
    assert len(won) == 5, [r[1:] for r in results if r[1] != 200][:3]
    assert len(refused) == 25
    assert {b["error"]["code"] for _uid, b in refused} == {"COHORT_FULL"}
    db.session.rollback()
    assert count(Order) == 5 and count(Payment) == 5 and count(Enrollment) == 5
    assert seats(cohort.id) == (0, 5)

    # Everyone who got a payment pays, at once; then the finalisations race,
    # two per payment (a redirect and a webhook-like duplicate).
    run_all([lambda d=d: pay_and_return(live_url, d) for _uid, d in won], 5)
    outcomes = run_all(
        [lambda d=d: finalise(app, d["paymentId"]) for _uid, d in won for _ in (1, 2)],
        10,
    )
    assert sorted(outcomes).count("paid") == 5
    jobs.run()

    assert seats(cohort.id) == (5, 0)
    enrolled = db.session.scalars(
        select(Enrollment.user_id).where(Enrollment.status == "enrolled")
    ).all()
    assert sorted(enrolled) == sorted(uid for uid, _d in won)
    assert count(ProductAccess) == 5
    assert count(EmailLog) == 10  # one confirmation and one receipt each
    # Every user is accounted for: enrolled, or refused before any payment.
    for uid, _email, _token in users:
        orders = db.session.scalars(select(Order).where(Order.user_id == uid)).all()
        if uid in enrolled:
            assert [o.status for o in orders] == ["paid"]
            assert not orders[0].needs_refund
        else:
            assert orders == []
    report(
        "Last seats of a cohort",
        "30 users enroll at once in a 5-seat cohort; the 5 winners pay, "
        "finalisations raced in pairs",
        operations=30 + 10,
        enrolled=(5, len(enrolled)),
        refused_before_payment=(25, len(refused)),
        seats_taken_held=((5, 0), seats(cohort.id)),
        access_grants=(5, count(ProductAccess)),
        emails=(10, count(EmailLog)),
    )


def test_one_user_ten_requests_at_once_one_enrollment_one_order(
    app, factory, live_url, db
):
    factory.payment_methods()
    product, cohort, session = factory.training(capacity=5)
    ((uid, email, token),) = make_users(factory, 1, "eager")
    body = enroll_body(product, cohort, session, email)

    results = run_all(
        [lambda i=i: post_enroll(live_url, token, body, f"tap-{i}") for i in range(10)],
        10,
    )
    statuses = [status for status, _b in results]
    assert statuses == [200] * 10, [b for s, b in results if s != 200][:2]
    order_ids = {b["data"]["orderId"] for _s, b in results}
    assert len(order_ids) == 1  # later requests resumed the same order
    db.session.rollback()
    assert count(Order) == 1
    assert count(Enrollment) == 1
    assert count(Enrollment, Enrollment.status.in_(("pending", "enrolled"))) == 1
    assert seats(cohort.id) == (0, 1)


def test_one_user_same_key_ten_times_at_once(app, factory, live_url, db):
    factory.payment_methods()
    product, cohort, session = factory.training(capacity=5)
    ((uid, email, token),) = make_users(factory, 1, "double")
    body = enroll_body(product, cohort, session, email)
    results = run_all([lambda: post_enroll(live_url, token, body, "same-key")] * 10, 10)
    assert {status for status, _b in results} == {200}
    assert len({repr(b) for _s, b in results}) == 1  # the very same answer
    db.session.rollback()
    assert count(Order) == 1 and count(Payment) == 1 and count(Enrollment) == 1
    assert seats(cohort.id) == (0, 1)


def test_late_payers_race_new_enrollers_nobody_over_enrolled(
    app, factory, live_url, db, jobs
):
    """Five customers reach eSewa and stall; their orders time out and the seats
    go back. Ten new customers then race for the seats while the first five pay
    after all. Every captured payment ends enrolled or paid with needs_refund;
    never more than five enrolled."""
    factory.payment_methods()
    product, cohort, session = factory.training(capacity=5)
    late_users = make_users(factory, 5, "late")
    new_users = make_users(factory, 10, "new")

    late_inits = {}
    for uid, email, token in late_users:
        status, body = post_enroll(
            live_url, token, enroll_body(product, cohort, session, email), None
        )
        assert status == 200, body
        late_inits[uid] = body["data"]
        esewa.post_form(body["data"])
    db.session.rollback()
    for order in db.session.scalars(select(Order)):
        order.expires_at = utcnow()
    db.session.commit()
    jobs.run_scheduled()
    assert count(Order, Order.status == "cancelled") == 5
    assert seats(cohort.id) == (0, 0)

    def late_payer(uid):
        def go():
            init = late_inits[uid]
            pay_and_return(live_url, init)
            return uid, 200, finalise(app, init["paymentId"])

        return go

    def new_enroller(user):
        uid, email, token = user
        body = enroll_body(product, cohort, session, email)

        def go():
            status, answer = post_enroll(live_url, token, body, f"n-{uid}")
            if status != 200:
                return uid, status, answer["error"]["code"]
            pay_and_return(live_url, answer["data"])
            return uid, status, finalise(app, answer["data"]["paymentId"])

        return go

    results = run_all(
        [late_payer(u[0]) for u in late_users] + [new_enroller(u) for u in new_users],
        15,
    )
    jobs.run()
    db.session.rollback()

    enrolled = set(
        db.session.scalars(
            select(Enrollment.user_id).where(Enrollment.status == "enrolled")
        )
    )
    assert len(enrolled) == 5  # every seat sold once, none twice
    assert seats(cohort.id) == (5, 0)
    assert count(ProductAccess) == 5
    # No user holds two active enrollments.
    per_user = db.session.execute(
        select(Enrollment.user_id, func.count())
        .where(Enrollment.status.in_(("pending", "enrolled")))
        .group_by(Enrollment.user_id)
    ).all()
    assert all(n == 1 for _uid, n in per_user)
    refunds = 0
    for uid, status, outcome in results:
        orders = db.session.scalars(select(Order).where(Order.user_id == uid)).all()
        if status != 200:
            assert outcome == "COHORT_FULL" and orders == []  # refused before payment
            continue
        (order,) = orders
        assert order.status == "paid"  # every captured payment is counted
        if uid in enrolled:
            assert not order.needs_refund and outcome == "paid"
        else:
            assert order.needs_refund and outcome == "paid-needs-refund"
            refunds += 1
    captured = count(Payment, Payment.status == "captured")
    assert captured == len(enrolled) + refunds


def test_the_partial_unique_index_allows_one_active_enrollment(app, factory, db):
    product, cohort, _session = factory.training()
    user = factory.user()

    def row(status):
        return Enrollment(
            user_id=user.id, product_id=product.id, cohort_id=cohort.id, status=status
        )

    db.session.add_all([row("cancelled"), row("cancelled"), row("pending")])
    db.session.commit()
    for status in ("pending", "enrolled"):
        db.session.add(row(status))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_without_the_lock_the_index_still_stops_duplicates(
    app, factory, live_url, db, monkeypatch
):
    """Take the advisory lock away: concurrent requests of one user may now both
    pass the "no active enrollment" check, and the database's partial unique
    index refuses the second (ENROLLMENT_IN_PROGRESS, everything rolled back)."""
    from app.training import enrollment

    monkeypatch.setattr(enrollment, "lock_enrollment", lambda *_a: None)
    factory.payment_methods()
    product, cohort, session = factory.training(capacity=5)
    ((uid, email, token),) = make_users(factory, 1, "nolock")
    body = enroll_body(product, cohort, session, email)
    results = run_all(
        [lambda i=i: post_enroll(live_url, token, body, f"nl-{i}") for i in range(10)],
        10,
    )
    codes = {b["error"]["code"] for s, b in results if s != 200}
    assert codes <= {"ENROLLMENT_IN_PROGRESS"}
    assert len({b["data"]["orderId"] for s, b in results if s == 200}) == 1
    db.session.rollback()
    assert count(Enrollment) == 1 and count(Order) == 1
    assert seats(cohort.id) == (0, 1)
