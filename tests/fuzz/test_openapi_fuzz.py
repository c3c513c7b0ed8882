"""schemathesis against /api/openapi.json over real HTTP: no 500s, and every JSON
answer under /api/ — success or error — is a ResponseDto.

The operations are driven one by one with hypothesis (schemathesis's pytest
plugin does not support pytest 9 yet)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings


def _is_dto(body) -> bool:
    return (
        isinstance(body, dict)
        and set(body) == {"success", "data", "error"}
        and isinstance(body["success"], bool)
        and (
            body["error"] is None
            or {"code", "message", "details"} <= set(body["error"])
        )
    )


def test_api_never_answers_500_and_always_speaks_response_dto(shop, live_url):
    schema = schemathesis.openapi.from_url(f"{live_url}/api/openapi.json")
    token_headers = {"Authorization": f"Bearer {shop.api.token}"}
    problems: list[str] = []
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=10,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case):
            nonlocal calls
            headers = (
                {"Accept": "application/json"}
                if case.path.startswith("/api/payments/redirect")
                else token_headers
            )
            response = case.call(headers=headers, timeout=30)
            calls += 1
            where = f"{case.method} {case.formatted_path} -> {response.status_code}"
            if response.status_code >= 500:
                problems.append(f"{where}: {response.text[:200]}")
            content_type = response.headers.get("Content-Type", "")
            is_json = "json" in str(content_type)
            if (
                case.path.startswith("/api/")
                and is_json
                and not _is_dto(response.json())
            ):
                problems.append(f"{where}: not a ResponseDto")

        run()
    print(f"fuzz calls: {calls}")
    assert calls > 100
    assert not problems, problems[:10]
