"""The simulated Google Cloud APIs, one module per API, assembled into one app by `app.py`."""
