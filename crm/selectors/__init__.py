"""CRM reads. Import from the submodules: `from crm.selectors.leads import lead_list`."""
