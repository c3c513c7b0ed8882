import pytest

from tests.support.factories import PASSWORD


@pytest.fixture
def shop(factory, api):
    """A customer with a token, two digital products and the payment methods."""
    factory.payment_methods()
    user = factory.user(email="buyer@example.com", name="Sita Shrestha")
    course = factory.product("course", price=80000, title="Python Basics")
    book = factory.product(
        "digital_book", price=50000, title="Data Handbook", validity_days=None
    )
    api.login(user.email, PASSWORD)

    class Shop:
        pass

    s = Shop()
    s.user, s.course, s.book, s.api = user, course, book, api
    return s


def fill_cart(api, *products):
    for product in products:
        resp = api.post(
            "/api/cart/items", json={"productId": product.id, "quantity": 1}
        )
        assert resp.status_code == 201, resp.get_json()
