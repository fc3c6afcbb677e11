"""Test settings: the real settings, only faster."""

from foodmart_site.settings import *  # noqa: F403

# Hashing with the production hasher costs ~0.3 s a login.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each test runs inside one transaction that a second connection cannot
# see into: background loads report progress through the test's own.
ETL_PROGRESS_DB = "default"
