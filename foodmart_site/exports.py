"""Spreadsheet formats for every export, safe to open.

A cell that starts with =, +, - or @ (or a tab or carriage return) is run
as a formula by Excel and LibreOffice: a customer named
'=HYPERLINK("http://evil", "click")' would become a live link, or worse.
Such text cells get a leading apostrophe, the spreadsheet convention for
"this is text" (OWASP's advice on CSV injection); numbers, including
negative ones, are left alone. django-import-export's own switch only
drops a leading "=", which changes the data and misses the other three.
"""

from import_export.formats import base_formats

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(DANGEROUS_STARTS):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


class SafeExport:
    def export_data(self, dataset, **kwargs):
        rows = [[neutralise(cell) for cell in row] for row in dataset]
        headers = dataset.headers
        dataset.wipe()
        dataset.headers = headers
        for row in rows:
            dataset.append(row)
        return super().export_data(dataset, **kwargs)


class CSV(SafeExport, base_formats.CSV):
    pass


class XLSX(SafeExport, base_formats.XLSX):
    pass
