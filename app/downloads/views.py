"""Download links for digital books (never a public file path)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_file
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app.catalog.models import Product
from app.downloads import services
from app.extensions import db, limiter

bp = Blueprint("downloads", __name__)


@bp.post("/library/<int:product_id>/download")
@login_required
@limiter.limit("30/minute")
def new_link(product_id: int):
    if not FlaskForm().validate_on_submit():
        abort(400)
    link = services.issue_link(current_user.id, product_id)
    db.session.commit()
    return render_template(
        "downloads/link.html",
        link=link,
        product=db.session.get(Product, product_id),
    )


@bp.get("/downloads/<token>")
@limiter.limit("60/minute")
def download(token: str):
    path, name = services.open_link(token)
    db.session.commit()  # the download is counted before the bytes go out
    response = send_file(
        path, as_attachment=True, download_name=name, conditional=False, etag=False
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
