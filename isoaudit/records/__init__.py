"""Records layer: agency spreadsheets in, canonical pandas frames and a list of problems out."""
from isoaudit.records.load import load_records
from isoaudit.records.model import Records
from isoaudit.records.readers import (
    read_dossier_log,
    read_objectives,
    read_procedures,
    read_units,
)

__all__ = ["Records", "load_records", "read_dossier_log", "read_objectives", "read_procedures", "read_units"]
