from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WorkbenchConfig(AppConfig):
    name = "workbench"
    verbose_name = "SQL workbench"

    def ready(self):
        from explorer import models as explorer_models

        from workbench.runs import RecordedQueryResult
        from workbench.services import set_up_after_migrate

        # The reader role, its grants and the starter queries, in every
        # database that is migrated (make demo, deploys, test databases).
        post_migrate.connect(set_up_after_migrate, sender=self)
        # Every statement Explorer runs goes through QueryResult (pages,
        # charts, exports): the subclass writes the run log. Explorer looks
        # the name up in its module when it runs a query, so this is the
        # one seam; workbench/tests/test_runs.py fails if it moves.
        explorer_models.QueryResult = RecordedQueryResult
