"""CRM: leads, pipeline, customer history, sales documents and seller analytics."""
