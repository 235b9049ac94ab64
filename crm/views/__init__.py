"""CRM pages, one module per area; each module exposes its own `urlpatterns`, gathered in crm/urls.py."""
