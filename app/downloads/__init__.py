"""Digital book files: stored privately, served only through signed, expiring links."""
