"""The only modules that talk to Odoo (and import odoorpc / xmlrpc / urllib for it)."""
