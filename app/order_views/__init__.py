"""The customer's door onto orders: my orders, the order page (also opened by its
order key), pay again, cancel, my library - and the order status API for polling
clients. The orders package itself stays free of HTTP."""
