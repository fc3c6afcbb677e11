"""Static files storage for production (DEBUG off)."""

from django.contrib.staticfiles.storage import HashedFilesMixin
from whitenoise.storage import CompressedManifestStaticFilesStorage


def without_source_maps(patterns):
    """Django's URL rewriting patterns minus the source-map comments."""
    kept = []
    for extension, rules in patterns:
        rules = tuple(rule for rule in rules if "sourceMappingURL" not in str(rule))
        if rules:
            kept.append((extension, rules))
    return tuple(kept)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's storage (hashed names, gzip and Brotli copies, cached for
    ever) that leaves ``sourceMappingURL`` comments alone.

    Vendored minified libraries (the report pages' chart library) name a
    source map that is not shipped; Django's storage would stop
    collectstatic on the missing file. A map that is shipped is still
    served under its own name, next to the file that names it."""

    patterns = without_source_maps(HashedFilesMixin.patterns)
