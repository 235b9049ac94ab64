"""The database backend: django-tenants' PostgreSQL backend, with a table list that stays cheap when the
database holds a thousand company schemas (see introspection.py)."""
