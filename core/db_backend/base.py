from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper

from core.db_backend.introspection import SchemaScopedIntrospection


class DatabaseWrapper(TenantDatabaseWrapper):
    introspection_class = SchemaScopedIntrospection

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # django-tenants sets its own introspection in __init__ rather than through the class attribute.
        self.introspection = SchemaScopedIntrospection(self)
