"""The back office's home page: what needs attention, and the latest changes."""

from __future__ import annotations

from flask_admin import AdminIndexView, expose

from app.admin import queries
from app.admin.access import AdminOnly


class HomeView(AdminOnly, AdminIndexView):
    @expose("/")
    def index(self):
        return self.render(
            "backoffice/home.html",
            counts=queries.attention_counts(),
            recent=queries.recent_changes(),
        )
