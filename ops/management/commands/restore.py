from datetime import UTC, datetime
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from ops.backups import BackupError, drop_database, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by 'backup' into an empty database: check the file's "
        "SHA-256, restore in one transaction, then compare every table's row count and "
        "checksum with the manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the .dump file (its .json beside it)")
        parser.add_argument(
            "--database",
            help="restore into this database on the same server instead (a restore drill)",
        )
        parser.add_argument("--create", action="store_true", help="create --database first")
        parser.add_argument(
            "--drill",
            action="store_true",
            help="restore into a new scratch database, verify, then drop it",
        )
        parser.add_argument(
            "--no-migrate",
            action="store_true",
            help="do not run migrate afterwards (newer migrations, the workbench's grants)",
        )

    def handle(self, *args, file, database, create, drill, no_migrate, **options):
        if create and not database:
            raise CommandError("--create needs --database NAME")
        if drill:
            name = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
            database, create = f"{name}_drill_{datetime.now(UTC):%Y%m%d%H%M%S}", True
        try:
            restored = restore_backup(file, database=database, create=create)
        except BackupError as error:
            raise CommandError(str(error)) from error
        finally:
            if drill:
                drop_database(connections[DEFAULT_DB_ALIAS].settings_dict, database)
        self.stdout.write(
            f"restored {file.name} into {restored.database}: {restored.tables} tables, "
            f"{restored.rows:,} rows, {restored.seconds} s"
        )
        if restored.problems:
            for problem in restored.problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(restored.problems)} tables differ from the manifest")
        self.stdout.write("every table's row count and checksum match the manifest")
        if not database and not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
