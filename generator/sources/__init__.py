"""Extractors: Autotask and SmileBack (REST APIs and CSV exports) into staging rows (see base.py)."""
