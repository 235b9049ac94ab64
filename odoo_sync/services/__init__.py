"""Writes of the Odoo sync: the connection test, sending documents (claim + push) and reading them back."""
