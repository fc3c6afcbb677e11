"""Background loads of big uploads (django-tasks, database backend)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django_tasks import task

from etl.extract import ExtractError
from etl.models import UploadJob
from etl.pipeline import AlreadyLoaded, LoadFailed, run


def progress_db() -> str:
    """Progress is written through a connection of its own (the "progress"
    alias): the load's transaction would hide it from the page until the
    end. Tests, which run inside one transaction, write it through theirs."""
    return getattr(settings, "ETL_PROGRESS_DB", "progress")


@task()
def load_upload(job_id: int) -> str:
    job = UploadJob.objects.get(pk=job_id)
    jobs = UploadJob.objects.using(progress_db()).filter(pk=job_id)
    jobs.update(status=UploadJob.Status.RUNNING)
    user = get_user_model().objects.filter(pk=job.created_by_id).first()
    try:
        batch = run(
            job.path,
            table=job.table,
            user=user,
            door="admin",
            source_name=job.source_name,
            progress=lambda rows: jobs.update(rows_done=rows),
        )
    except LoadFailed as exc:
        jobs.update(status=UploadJob.Status.FAILED, message=str(exc), batch=exc.batch)
        return "failed"
    except (AlreadyLoaded, ExtractError, PermissionError, ValueError, LookupError) as exc:
        jobs.update(status=UploadJob.Status.FAILED, message=str(exc))
        return "failed"
    jobs.update(
        status=UploadJob.Status.DONE,
        rows_done=batch.rows_read,
        batch=batch,
        message=batch.summary(),
    )
    return "done"
