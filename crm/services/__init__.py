"""CRM writes. Import from the submodules: `from crm.services.leads import lead_create`."""
