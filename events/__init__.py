"""The event vocabulary: typed diplomatic events, parties, CAMEO codes, canonical bytes.

Pure: no database, no files other than the package's own data tables, no clock, no printing.
Submodules are imported on use so that code needing only parties or the catalogue does not pay
for pydantic.
"""
