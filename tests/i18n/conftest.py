from tests.events.conftest import shop  # noqa: F401 - the JPY event and buyer
