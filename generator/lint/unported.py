"""Tabular Editor BPA rules this linter does not port, each with the reason in one sentence."""

from __future__ import annotations

UNPORTED: dict[str, str] = {
    "AVOID_BI-DIRECTIONAL_RELATIONSHIPS_AGAINST_HIGH-CARDINALITY_COLUMNS":
        "It needs column cardinalities from VertiPaq statistics (Vertipaq_Cardinality), which a model definition "
        "does not have.",
    "REDUCE_USAGE_OF_LONG-LENGTH_COLUMNS_WITH_HIGH_CARDINALITY":
        "It needs counts of long text values per column (LongLengthRowCount), which only the loaded data has.",
    "SPLIT_DATE_AND_TIME":
        "It needs to know whether the loaded datetime values have a time part (DateTimeWithHourMinSec), which only "
        "the data has.",
    "LARGE_TABLES_SHOULD_BE_PARTITIONED":
        "It needs table row counts from VertiPaq statistics (Vertipaq_RowCount), which a model definition does not "
        "have.",
    "FIX_REFERENTIAL_INTEGRITY_VIOLATIONS":
        "It needs the count of rows violating referential integrity (Vertipaq_RIViolationInvalidRows), which only "
        "the loaded data has.",
}
