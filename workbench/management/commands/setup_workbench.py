"""manage.py setup_workbench [--reset-starters] [--sql]

What every migrate does already (workbench/services.py): the reader role,
its grants in this database, SQL Explorer's connection and the starter
queries. --sql prints the role's statements instead, for a DBA when the
app's database user may not create roles.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from workbench import services


class Command(BaseCommand):
    help = "Create or update the SQL workbench's read-only role, its grants and starter queries."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--reset-starters",
            action="store_true",
            help="Put back the shipped SQL of starter queries that were edited.",
        )
        parser.add_argument(
            "--sql", action="store_true", help="Print the SQL for a DBA; change nothing."
        )

    def handle(self, *, database, reset_starters, sql, **options):
        if sql:
            self.stdout.write(self.role_sql(database))
            return
        try:
            setup = services.set_up_workbench(using=database, reset_starters=reset_starters)
        except services.CannotCreateRole as exc:
            raise CommandError(f"{exc}. Run with --sql and have a DBA run the output.") from exc
        self.stdout.write(
            f"role {setup.role} may read {len(setup.tables)} tables; "
            f"starter queries added or reset: {setup.starters_added}"
        )

    def role_sql(self, database: str) -> str:
        connection = connections[database]
        reader = connections[services.WORKBENCH_ALIAS].settings_dict
        role = reader["USER"]
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_database(), current_schema()")
            name, schema = cursor.fetchone()
            tables = services.existing_tables(cursor, services.reader_tables())
        statements = [services.create_role_sql(role)]
        statements += services.role_settings_sql(role)
        statements += [services.password_sql(role, reader["PASSWORD"])]
        statements += services.grant_sql(role, database=name, schema=schema, tables=tables)
        raw = connection.connection
        return "\n".join(s.as_string(raw) + ";" for s in statements)
