"""What the `enrollment_confirmed` email shows (installed by `app.composition`)."""

from __future__ import annotations

from flask import current_app

from app.extensions import db
from app.training.models import Enrollment


def enrollment_email_context(ctx: dict) -> None:
    """The `enrollment_confirmed` email: the enrollment and its session links."""
    enrollment = db.session.get(Enrollment, ctx.get("enrollment_id"))
    ctx["enrollment"] = enrollment
    base = current_app.config["PUBLIC_BASE_URL"]
    ctx["enrollments_url"] = f"{base}/enrollments"
    if enrollment is not None:
        slug = enrollment.product.slug
        ctx["session_links"] = [
            (s.title, s.starts_at, f"{base}/trainings/{slug}/sessions/{s.id}")
            for s in enrollment.cohort.sessions
        ]
