"""CSV and XLSX downloads of a workbench query (EXPLORER_DATA_EXPORTERS).

SQL Explorer's exporters, with the two things the back office's exports
already do (foodmart_site/exports.py): a text cell that a spreadsheet
would run as a formula gets a leading apostrophe, headers included; and a
result cut at WORKBENCH_MAX_ROWS says so in its file name.
"""

from django.conf import settings
from explorer import exporters

from foodmart_site.exports import neutralise


class SafeExportMixin:
    truncated = False

    def _get_output(self, res, **kwargs):
        res._data = [[neutralise(cell) for cell in row] for row in res.data]
        for header in res.headers:
            header.title = neutralise(header.title)
        self.truncated = getattr(res, "truncated", False)
        return super()._get_output(res, **kwargs)

    def get_filename(self):
        name = super().get_filename()
        if not self.truncated:
            return name
        stem, _, extension = name.rpartition(".")
        return f"{stem}-first-{settings.WORKBENCH_MAX_ROWS}-rows.{extension}"


class CSVExporter(SafeExportMixin, exporters.CSVExporter):
    pass


class ExcelExporter(SafeExportMixin, exporters.ExcelExporter):
    pass
