"""The back office: Flask-Admin views for staff, with an audit log of every action."""
