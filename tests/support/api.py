"""A thin JSON client over Flask's test client that unwraps the ResponseDto."""

from __future__ import annotations


class ApiClient:
    def __init__(self, client):
        self.client = client
        self.token: str | None = None

    def headers(self, extra: dict | None = None) -> dict:
        h = {}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if extra:
            h.update(extra)
        return h

    def get(self, path: str, **kw):
        return self.client.get(
            path, headers=self.headers(kw.pop("headers", None)), **kw
        )

    def post(self, path: str, json=None, **kw):
        return self.client.post(
            path, json=json, headers=self.headers(kw.pop("headers", None)), **kw
        )

    def delete(self, path: str, **kw):
        return self.client.delete(
            path, headers=self.headers(kw.pop("headers", None)), **kw
        )

    def login(self, email: str, password: str) -> str:
        resp = self.client.post(
            "/api/auth/token", json={"email": email, "password": password}
        )
        assert resp.status_code == 200, resp.get_json()
        self.token = resp.get_json()["data"]["token"]
        return self.token
