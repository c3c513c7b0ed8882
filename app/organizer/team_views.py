"""The team page of an organization (owners only) and the invitation link."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db
from app.organizer import access, team
from app.organizer.manage_forms import ConfirmForm, InviteForm
from app.organizer.roles import MEMBERS
from app.organizer.views import organizer_required
from app.services_errors import ServiceError

bp = Blueprint("organizer_team", __name__)


def _page(organization, form, status: int = 200):
    return (
        render_template(
            "organizer/team.html",
            organization=organization,
            members=team.members(organization),
            invitations=team.pending_invitations(organization),
            form=form,
            action_form=ConfirmForm(),
        ),
        status,
    )


@bp.get("/organizations/<int:organization_id>/members")
@organizer_required
def members(organization_id: int):
    organization = access.require_organization_role(
        current_user, organization_id, MEMBERS
    )
    return _page(organization, InviteForm())


@bp.post("/organizations/<int:organization_id>/invitations")
@organizer_required
def invite(organization_id: int):
    organization = access.require_organization_role(
        current_user, organization_id, MEMBERS
    )
    form = InviteForm()
    if not form.validate_on_submit():
        return _page(organization, form, 400)
    team.invite(organization, form.email.data, form.role.data, current_user)
    db.session.commit()
    flash(
        _("An invitation is on its way to %(email)s.", email=form.email.data),
        "success",
    )
    return redirect(url_for(".members", organization_id=organization.id), 303)


@bp.post("/organizations/<int:organization_id>/members/<int:membership_id>/remove")
@organizer_required
def remove(organization_id: int, membership_id: int):
    organization = access.require_organization_role(
        current_user, organization_id, MEMBERS
    )
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        team.remove_member(organization, membership_id, current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("The member was removed."), "success")
    return redirect(url_for(".members", organization_id=organization.id), 303)


@bp.get("/invitations/<token>")
@login_required
def invitation(token: str):
    found = team.invitation_for(token)
    return render_template(
        "organizer/invitation.html",
        invitation=found,
        token=token,
        form=ConfirmForm(),
    )


@bp.post("/invitations/<token>")
@login_required
def accept(token: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    team.accept(token, current_user)
    db.session.commit()
    flash(_("Welcome to the team."), "success")
    return redirect(url_for("organizer.dashboard"), 303)
