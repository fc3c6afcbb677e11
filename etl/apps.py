from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class EtlConfig(AppConfig):
    name = "etl"
    verbose_name = "Spreadsheet imports"

    def ready(self):
        # Each business app declares its table specs in <app>/imports.py;
        # the pipeline knows the apps only through them.
        autodiscover_modules("imports")
