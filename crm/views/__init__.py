"""CRM pages, one module per area; their URLs are in crm/urls.py."""
