"""isoaudit: internal audits and management reviews for Vietnamese public agencies under TCVN ISO 9001:2015."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("isoaudit")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.1.0"
