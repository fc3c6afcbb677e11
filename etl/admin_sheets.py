"""The admin door of the pipeline: django-import-export's screens (choose a
file, preview, confirm) with the pipeline's verdict.

django-import-export keeps what people know: the Import button, the
preview table with each row marked new, update or skipped, errors next to
the values, and the confirm step. What it would do row by row (read,
validate, save) is handed to ``etl.pipeline.run`` on the uploaded file
itself, so the same file gets the same verdict and the same batch record
as on the command line. Its row-by-row engine is not used (CONVENTIONS §3).
"""

import tempfile
import uuid
from pathlib import Path

import pandas as pd
import tablib
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from import_export.admin import ImportExportMixin
from import_export.fields import Field
from import_export.formats import base_formats
from import_export.resources import ModelResource
from import_export.results import Error, Result, RowResult

from etl.extract import ExtractError
from etl.models import UploadJob
from etl.pipeline import AlreadyLoaded, LoadFailed, run
from etl.specs import specs_for_model
from etl.tasks import load_upload
from etl.transform import as_text
from foodmart_site.exports import CSV, XLSX

PREVIEW_ROWS = 1000


class AnySheet(base_formats.Format):
    """One upload choice, "CSV or XLSX": the pipeline tells them apart by
    content (and finds encodings and delimiters) when it reads the file."""

    def __init__(self, encoding=None):
        self.encoding = encoding

    def get_title(self):
        return "csv or xlsx"

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def get_extension(self):
        return "csv"

    def can_import(self):
        return True

    def create_dataset(self, in_stream, **kwargs):
        # A placeholder: the rows are read by the pipeline, not by tablib.
        return tablib.Dataset(["uploaded"], headers=["file"])


class PipelineResource(ModelResource):
    """A resource whose import is the pipeline's run on the uploaded file."""

    spec = None

    def get_user_visible_fields(self):
        """The columns a sheet may have: the FoodMart names (friendly ones
        such as Store or Date are accepted too)."""
        return [Field(column_name=c) for c in self.spec.columns]

    def import_data(self, dataset, dry_run=False, file_name=None, user=None, **kwargs):
        path, collect = kwargs["pipeline_path"], {}
        result = Result()
        try:
            batch = run(
                path,
                table=self.spec.name,
                user=user,
                door="admin",
                dry_run=dry_run,
                source_name=file_name,
                collect=collect,
            )
        except LoadFailed as exc:
            _fill_invalid(result, collect, exc)
            return result
        except (AlreadyLoaded, ExtractError, PermissionError, ValueError) as exc:
            result.append_base_error(Error(exc))
            return result
        _fill_preview(result, collect, batch)
        result.batch = batch
        return result


def _headers(collect: dict) -> list[str]:
    raw = collect.get("raw") or []
    return [str(c) for c in raw[0].columns] if raw else []


def _raw_rows(collect: dict) -> pd.DataFrame:
    """The rows as the pipeline read them, as text (XLSX numbers too)."""
    raw = collect.get("raw") or []
    return pd.concat(raw).apply(as_text) if raw else pd.DataFrame()


def _fill_invalid(result: Result, collect: dict, failure: LoadFailed) -> None:
    """Each bad row with its errors next to its values; or the reason the
    file could not be read at all."""
    if not failure.problems:
        result.append_base_error(Error(failure))
        return
    result.diff_headers = _headers(collect)
    rows = _raw_rows(collect)
    by_row: dict[int, dict[str, list[str]]] = {}
    for p in failure.problems:
        column = p.column if p.column in result.diff_headers else NON_FIELD_ERRORS
        by_row.setdefault(p.row, {}).setdefault(column, []).append(f"{p.value!r}: {p.reason}")
    for number, errors in sorted(by_row.items())[:PREVIEW_ROWS]:
        index = number - 2
        values = rows.loc[index].to_dict() if index in rows.index else {}
        values = {k: ("" if pd.isna(v) else v) for k, v in values.items()}
        result.append_invalid_row(number, values, ValidationError(errors))


def _fill_preview(result: Result, collect: dict, batch) -> None:
    """Valid rows as new, update or skip; on the real run, the totals."""
    result.diff_headers = _headers(collect)
    states = collect.get("states")
    if states is None:  # the confirmed load: counts from the batch
        for kind, count in (
            (RowResult.IMPORT_TYPE_NEW, batch.rows_inserted),
            (RowResult.IMPORT_TYPE_UPDATE, batch.rows_updated),
            (RowResult.IMPORT_TYPE_SKIP, batch.rows_unchanged),
        ):
            result.totals[kind] = count
        return
    rows = _raw_rows(collect)
    for index, values in rows.head(PREVIEW_ROWS).iterrows():
        row = RowResult()
        row.number = index + 2
        row.import_type = states.get(index + 2, RowResult.IMPORT_TYPE_SKIP)
        row.diff = ["" if pd.isna(v) else v for v in values.tolist()]
        result.append_row_result(row)
        result.increment_row_result_total(row)


def start_background_load(upload, model, user) -> UploadJob:
    """Keep the upload on disk, count its rows, queue its load."""
    folder = Path(settings.ETL_UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}-{Path(upload.name).name}"
    lines = 0
    with open(path, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
            lines += chunk.count(b"\n")
    job = UploadJob.objects.create(
        table=specs_for_model(model)[0].name,
        source_name=upload.name,
        path=str(path),
        size=upload.size,
        rows_total=max(lines - 1, 0),
        created_by=user,
    )
    transaction.on_commit(lambda: load_upload.enqueue(job.pk))
    return job


class SheetAdmin(ImportExportMixin):
    """Admin mixin: Import (through the pipeline) and Export (CSV or XLSX,
    formula-safe, scoped and filtered) on a model's changelist."""

    import_formats = [AnySheet]
    export_formats = [CSV, XLSX]
    skip_admin_log = True  # the batch is the record of an import
    import_error_display = ("message",)

    def get_import_resource_classes(self, request):
        spec = specs_for_model(self.model)[0]
        name = f"{self.model.__name__}PipelineResource"
        meta = type("Meta", (), {"model": self.model})
        return [type(name, (PipelineResource,), {"spec": spec, "Meta": meta})]

    def get_export_resource_classes(self, request):
        return [
            type(
                f"{self.model.__name__}Resource",
                (ModelResource,),
                {"Meta": type("Meta", (), {"model": self.model})},
            )
        ]

    def import_action(self, request, **kwargs):
        """Big files go to a background load; the rest get the preview."""
        upload = request.FILES.get("import_file")
        if request.method == "POST" and upload and upload.size > settings.ETL_BACKGROUND_BYTES:
            if not self.has_import_permission(request):
                raise PermissionDenied
            job = start_background_load(upload, self.model, request.user)
            return HttpResponseRedirect(reverse("admin:etl_uploadjob_change", args=[job.pk]))
        return super().import_action(request, **kwargs)

    def get_import_context_data(self, **kwargs):
        return {
            **super().get_import_context_data(**kwargs),
            "background_limit": settings.ETL_BACKGROUND_BYTES,
        }

    def get_import_data_kwargs(self, request, *args, **kwargs):
        form = kwargs.get("form")
        data = getattr(form, "cleaned_data", {})
        if "import_file_name" in data:  # the confirm step
            name = data["import_file_name"]
        else:  # the preview step: the upload was just written to storage
            name = data["import_file"].tmp_storage_name
        return {"pipeline_path": str(Path(tempfile.gettempdir()) / name)}

    def process_result(self, result, request):
        if result.has_errors() or not hasattr(result, "batch"):
            for error in result.base_errors:
                self.message_user(request, str(error.error), messages.ERROR)
            return HttpResponseRedirect(request.path)
        batch = result.batch
        self.message_user(request, f"Loaded: {batch.summary()}.")
        return HttpResponseRedirect(reverse("admin:etl_batch_change", args=[batch.pk]))
