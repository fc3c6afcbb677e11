from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ops.backups import BackupError, Retention, create_backup


class Command(BaseCommand):
    help = (
        "Back the database up (pg_dump custom format, a manifest with row counts and "
        "checksums, a SHA-256) to BACKUP_DIR or --to, copy it to BACKUP_COPY_DIR, and "
        "prune old backups (BACKUP_KEEP_LAST, _DAILY, _MONTHLY)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", type=Path, help=f"directory (default {settings.BACKUP_DIR})")
        parser.add_argument(
            "--copy-to",
            type=Path,
            action="append",
            help="a second location (another disk, a mounted share); repeatable",
        )
        parser.add_argument("--no-prune", action="store_true", help="keep every old backup")
        parser.add_argument(
            "--no-checksums",
            action="store_true",
            help="count rows but skip the per-table checksums (faster on huge tables)",
        )

    def handle(self, *args, to, copy_to, no_prune, no_checksums, **options):
        copies = copy_to or ([settings.BACKUP_COPY_DIR] if settings.BACKUP_COPY_DIR else [])
        try:
            backup = create_backup(
                to=to or settings.BACKUP_DIR,
                copy_to=copies,
                checksums=not no_checksums,
                retention=None if no_prune else Retention.from_settings(),
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        m = backup.manifest
        rows = sum(t["rows"] for t in m["tables"].values())
        self.stdout.write(
            f"{backup.dump}: {m['bytes'] / 1e6:.1f} MB, {len(m['tables'])} tables, "
            f"{rows:,} rows, {m['seconds']} s"
        )
        for copy in backup.copies:
            self.stdout.write(f"copied to {copy}")
        for path in backup.pruned:
            self.stdout.write(f"pruned {path}")
