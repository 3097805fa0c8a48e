"""SQL for the model's tables, built as sqlglot expressions and rendered per dialect."""
