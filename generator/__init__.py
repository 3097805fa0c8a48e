"""msp-csat: Autotask and SmileBack data into a tested Power BI semantic model."""

__version__ = "0.1.0"
