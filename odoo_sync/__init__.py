"""Odoo synchronisation: the sync_external table, push and pull tasks (not built yet)."""
