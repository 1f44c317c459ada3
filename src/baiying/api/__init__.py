"""The HTTP adapter (FastAPI): `create_app(settings)` in `app.py`, routes in `routes/`, bodies in
`schemas/`, dependencies in `deps.py`, and the one table of error codes to HTTP statuses in `errors.py`."""
