"""Agenda: services, availability, appointments and calendar providers (not built yet)."""
