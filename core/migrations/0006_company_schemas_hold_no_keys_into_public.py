"""Company schemas hold no foreign key into the shared (public) schema.

The admin is a company app too, so every company schema has a `django_admin_log` whose `user_id` was a
foreign key to `public.tenants_user`. PostgreSQL keeps such a key with two triggers on the referenced
table: each company added two triggers to `tenants_user`. With 670 companies it had 1,358, every update of
a user (a sign-in writes `last_login`) fired one per company, and adding the next company's key took
7.5 s of the 8 s a company's copy took. In company schemas those keys are dropped (the columns stay; a
user is deactivated rather than deleted). The public schema keeps its own."""

from django.db import migrations

DROP_KEYS_INTO_PUBLIC = """
DO $$
DECLARE key record;
BEGIN
    IF current_schema() <> 'public' THEN
        FOR key IN
            SELECT c.conname, t.relname FROM pg_constraint c
            JOIN pg_class t ON t.oid = c.conrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = current_schema() AND c.contype = 'f'
              AND c.confrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)
        LOOP
            EXECUTE format('ALTER TABLE %I.%I DROP CONSTRAINT %I', current_schema(), key.relname, key.conname);
        END LOOP;
    END IF;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_notification"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunSQL(DROP_KEYS_INTO_PUBLIC, reverse_sql=migrations.RunSQL.noop)]
