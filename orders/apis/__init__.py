"""DRF views of the orders app, one small view per operation (see orders/urls.py)."""
