class ReaderRouter:
    """The workbench alias is the app's own database seen through the
    reader role: never migrated (the role could not anyway), and no model
    is read or written through it."""

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == "workbench" else None
