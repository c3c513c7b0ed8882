"""Training pages: the training with its cohorts, the enrollment form, session
content for enrolled users, and my enrollments."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.extensions import db, limiter
from app.i18n.formatting import date_text, datetime_text, number
from app.payments import methods
from app.services_errors import ServiceError
from app.training import enrollment, services
from app.training.forms import EnrollForm

bp = Blueprint("training", __name__)


def _method_choices(product) -> list[tuple[str, str]]:
    facts = methods.OrderFacts(
        currency=product.currency,
        total=product.price,
        product_types=frozenset({"training"}),
    )
    return [(m.code, m.name) for m in methods.methods_for(facts)]


def _fill_choices(form: EnrollForm, product) -> None:
    cohorts = services.open_cohorts(product)
    form.cohort.choices = [
        (
            c.id,
            ngettext(
                "%(cohort)s (%(start)s, %(left)s seat left)",
                "%(cohort)s (%(start)s, %(left)s seats left)",
                max(c.seats_left, 0),
                cohort=c.name,
                start=date_text(c.starts_on),
                left=number(max(c.seats_left, 0)),
            ),
        )
        for c in cohorts
    ]
    # Sessions in the cohort's own zone, named (e.g. "18:00 Nepal Time").
    form.session.choices = {
        c.name: [
            (s.id, f"{s.title} — {datetime_text(s.starts_at, c.timezone)}")
            for s in c.sessions
        ]
        for c in cohorts
    }
    form.method.choices = _method_choices(product)


def _viewer_enrollment(product):
    if not current_user.is_authenticated:
        return None
    return services.active_enrollment(current_user.id, product.id)


@bp.get("/trainings/<slug>")
def training_page(slug: str):
    product = services.get_training(slug)
    return render_template(
        "training/training.html",
        product=product,
        enrollment=_viewer_enrollment(product),
        open_ids={c.id for c in services.open_cohorts(product)},
    )


@bp.route("/trainings/<slug>/enroll", methods=["GET", "POST"])
@login_required
@limiter.limit("20/minute", methods=["POST"])
def enroll(slug: str):
    product = services.get_training(slug)
    form = EnrollForm()
    _fill_choices(form, product)
    if request.method == "GET":
        form.name.data = current_user.name
        form.email.data = current_user.email
        form.phone.data = current_user.phone
        chosen = next(
            (
                c
                for c in services.open_cohorts(product)
                if c.id == request.args.get("cohort", type=int)
            ),
            None,
        )
        if chosen is not None:
            form.cohort.data = chosen.id
            if chosen.sessions:
                form.session.data = chosen.sessions[0].id
        if form.method.choices:
            form.method.data = form.method.choices[0][0]
    status = 200
    if form.validate_on_submit():
        try:
            order, payment = enrollment.enroll(
                current_user,
                enrollment.EnrollmentRequest(
                    product_id=product.id,
                    cohort_id=form.cohort.data,
                    session_id=form.session.data,
                    gateway=form.method.data,
                    name=form.name.data,
                    email=form.email.data,
                    phone=form.phone.data,
                    promo_code=form.promo_code.data or None,
                ),
            )
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            for name, msg in exc.details.items():
                key = name.removeprefix("formData.")
                if key in form and isinstance(msg, str):
                    form[key].errors = [*form[key].errors, msg]
            pending_url = exc.details.get("orderUrl")
            return (
                render_template(
                    "training/enroll.html",
                    product=product,
                    form=form,
                    enrollment=_viewer_enrollment(product),
                    pending_url=pending_url,
                ),
                exc.status,
            )
        db.session.commit()
        return redirect(
            url_for("payments.handoff", payment_id=payment.id, key=order.order_key)
        )
    if request.method == "POST":
        status = 400
        flash(_("Please correct the form."), "error")
    return (
        render_template(
            "training/enroll.html",
            product=product,
            form=form,
            enrollment=_viewer_enrollment(product),
            pending_url=None,
        ),
        status,
    )


@bp.get("/trainings/<slug>/sessions/<int:session_id>")
def session_content(slug: str, session_id: int):
    product = services.get_training(slug)
    session = services.get_session(product, session_id)
    access = services.session_access(current_user, product, session)
    return render_template(
        "training/session.html" if access.allowed else "training/blocked.html",
        product=product,
        session=session,
        access=access,
        order_url=enrollment.order_url(access.order) if access.order else None,
    ), (200 if access.allowed else 403)


@bp.get("/enrollments")
@login_required
def my_enrollments():
    enrollments = services.enrollments_for(current_user.id)
    return render_template(
        "training/my_enrollments.html",
        enrollments=enrollments,
        orders={e.id: services.order_for(e) for e in enrollments},
    )
