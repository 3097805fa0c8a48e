"""``gen-measures load``: extract (APIs, CSV exports) → stage → transform (sql/transform) → merge into BI_ tables."""
